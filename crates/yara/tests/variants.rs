//! Generated one-liners: every combination of a host page, a way to read the request, a way to
//! hide the key or the payload, and a sink, the way shell kits and their users vary them. The
//! rules must catch each variant, and the same pages with the sink replaced by ordinary output
//! must trip nothing. The generator is written from the behaviours (request data into code,
//! a process or an assembly), not from any sample: a rule written for one file fails here.

use std::sync::OnceLock;

use exray_core::content::ContentRules;

fn rules() -> &'static exray_yara::YaraRules {
    static R: OnceLock<exray_yara::YaraRules> = OnceLock::new();
    R.get_or_init(|| exray_yara::builtin().expect("built-in rules compile"))
}

fn fired(page: &str) -> Vec<String> {
    let mut s = rules().scanner();
    s.scan("variant", page.as_bytes())
        .expect("scan")
        .into_iter()
        .map(|h| h.meta.id)
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

#[test]
fn every_generated_one_liner_is_caught() {
    let all = shells();
    assert!(all.len() > 4000, "generator shrank: {}", all.len());
    let missed: Vec<&String> = all
        .iter()
        .filter(|(_, page)| fired(page).is_empty())
        .map(|(d, _)| d)
        .collect();
    if let Some(path) = std::env::var_os("EXRAY_VARIANTS_DUMP") {
        let text: Vec<&str> = missed.iter().map(|s| s.as_str()).collect();
        std::fs::write(path, text.join("\n")).expect("write the dump");
    }
    assert!(
        missed.is_empty(),
        "{} of {} generated shells missed (EXRAY_VARIANTS_DUMP=FILE lists them all); first ones:\n{}",
        missed.len(),
        all.len(),
        missed
            .iter()
            .take(40)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn benign_twins_trip_nothing() {
    let all = benign();
    assert!(all.len() > 500, "generator shrank: {}", all.len());
    let fp: Vec<String> = all
        .iter()
        .filter_map(|(d, page)| {
            let f = fired(page);
            (!f.is_empty()).then(|| format!("{d}: {f:?}"))
        })
        .collect();
    assert!(
        fp.is_empty(),
        "{} of {} benign twins fired; first ones:\n{}",
        fp.len(),
        all.len(),
        fp.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}
