//! What feeds what a script page runs: a small def-use reading of one page, used to confirm
//! rules whose strings alone cannot tell a shell from an application.
//!
//! Some shells are told apart from applications only by where a value comes from. `Execute(x)`
//! is a one-liner when `x` was read from the request, and a plugin hook when `x` was registered
//! by the application (Z-Blog and many other classic ASP systems run their hooks this way);
//! `conn.Open s` is a database console when `s` came from the request, and every data-driven page
//! when it came from the configuration. A YARA rule can see both halves but not that one flows
//! into the other, so such a rule names a check in its `verify` meta, and a hit stands only when
//! the check holds.
//!
//! The reading is deliberately simple and language-agnostic (VBScript, JScript, C#): statements
//! are lines cut at `:` and `;` outside string literals; an assignment is `name = expression`
//! (with an optional `Set`/`Dim`/`var`/type in front); a VBScript `Function`/`Sub` body is the
//! definition of its name. The *slice* of an expression is the expression with, recursively,
//! every definition of every name it uses. A check holds when, for some sink of its kind, a
//! pattern occurs in the sink's slice. The reading errs towards holding (a name defined
//! anywhere counts), so it removes hits only where the page shows no path at all, with two known
//! limits: a value copied through more than [`MAX_DEPTH`] plain variables is not followed, and a
//! C#/JScript `\"` inside a literal is read as its end. Where the reading hits one of its
//! bounds (definitions, bodies, parameters, bytes read), the check holds and the hit stands on
//! its strings, so padding a page cannot switch a rule off.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::LazyLock;

use regex::bytes::Regex;

/// The confirmation a built-in rule asks for (its `verify` meta).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Something the page executes (`Execute`, `ExecuteGlobal`, `Eval`) is fed by the
    /// request or the session.
    RequestToExec,
    /// Something the page executes is assembled at run time: character codes of a variable,
    /// reversed strings, letter lists, numeric arrays, junk stripped out with `Replace`.
    AssembledExec,
    /// Something the page executes passes through a decoder: character arithmetic, `Xor`,
    /// `Asc(Mid(…))`, reversed strings.
    DecoderExec,
    /// The page writes into its response, as it is, what it fetched from a URL built with
    /// the visitor's request values (host, path, query, user agent): an SEO or phishing relay.
    VisitorRelay,
    /// The page writes into its response, as it is, what it fetched from a URL: a relay of
    /// remote content (SEO cloaking serves search engines a page fetched from elsewhere).
    FetchedRelay,
    /// A database connection is opened with a connection string fed by the request (or a
    /// text box of the page).
    RequestToConnection,
    /// Request data reaches the command line of a process: `Process.Start`, a
    /// `ProcessStartInfo`'s file name or arguments, the `Exec`/`Run`/`ShellExecute` of a COM
    /// object the page created (WScript.Shell, Shell.Application), WMI's `Win32_Process.Create`,
    /// VB's `Shell()`.
    RequestToProcess,
    /// A database console: the connection string comes from the request (or a text box), and
    /// the SQL the page runs on it (`conn.Execute x`, `rs.Open x`, a command's text) is a request
    /// value as a whole, or, where the request names the server or the credentials, has request
    /// data in it (a dumper: `"select " & col & " from " & tbl`). An upgrade page that connects
    /// where its form says and runs its own SQL, or an import page that opens the file the
    /// request names and splices request values into its own statements, is not one.
    SqlConsole,
    /// The SQL a page runs is request data (or a text box) as a whole: half of
    /// [`Check::SqlConsole`].
    RequestToSql,
    /// Request data reaches the SQL a page runs, in any part of it (the other half of
    /// [`Check::SqlConsole`] where the caller also names the server).
    RequestInSql,
    /// The request names the database server or the credentials of a connection (`Server=`,
    /// `Data Source=`, `Uid=`, `Pwd=` beside request data in the connection string's slice).
    RequestNamesServer,
    /// The connection string is request data as a whole (the caller sends all of it).
    ConnectionIsRequest,
    /// Request data names what reflection loads or calls: an assembly (`Assembly.Load*`), a
    /// type (`GetType`, `CreateInstance`), a method or property (`GetMethod`, `InvokeMember`,
    /// `GetProperty`): the caller drives any .NET API through the page.
    RequestToReflection,
    /// Request data names the file or folder a file-system operation acts on (list, open,
    /// delete, copy, move, save): a file manager the caller drives, not an application working
    /// in folders of its own.
    RequestToPath,
    /// The path a page lists, reads or writes is what the request itself carries, as a whole
    /// (`fso.GetFolder(Request("d"))`, `File.ReadAllText(Request["f"])`,
    /// `x.SaveAs(Request["p"])`): the caller sends the full path, where an application builds its
    /// paths from folders of its own (`Server.MapPath("upload/" & name)`) and at most takes a
    /// name from the request. Deletes, copies and moves, a download handler's `TransmitFile`, and
    /// text boxes are left out (see [`OPEN_PATH_SINK`], [`WHOLE_CALLER`]).
    RequestIsPath,
    /// One write puts request data into a file, and either the path of that same file is
    /// request data as a whole (perhaps mapped from the site: `Server.MapPath(Request("p"))`),
    /// or the file is a script page named by a literal and what is written is request data as a
    /// whole: a dropper or an uploader (`f.Write Request("c")` on `CreateTextFile(Request("p"))`,
    /// `File.WriteAllText(Server.MapPath("x.aspx"), Request["c"])`, the raw body saved where the
    /// query says, `Request.Files[0].SaveAs(Request["p"])`). A guestbook that appends the form
    /// to its own text file, an uploader that puts the file under its own name in a folder the
    /// form picks, or an installer that splices the form into its own configuration page, is
    /// none of these.
    RequestToFile,
    /// Request data names the assembly a page loads (`Assembly.LoadFrom(box.Text)`).
    RequestToLoad,
    /// Request data is the account a page logs on with (`LogonUser(user.Text, …)`).
    RequestToLogon,
    /// Request data reaches the URL a page fetches on the server (`XMLHTTP.Open "GET", url`,
    /// `WebRequest.Create(url)`, `WebClient.DownloadString(url)`, `HttpClient.GetAsync(url)`):
    /// the caller chooses where the server connects. (A browser script's XMLHttpRequest in
    /// the page's markup fetches nothing on the server.)
    RequestToUrl,
    /// Request data reaches what a page deserializes (`formatter.Deserialize(x)`,
    /// `serializer.ReadObject(x)`, `JsonConvert.DeserializeObject(x, …)`, `XamlReader.Parse(x)`).
    RequestToDeserialize,
    /// Request data is the stylesheet a page transforms with (`xsl.loadXML Request("x")` of a
    /// document the page passes to `transformNode`, `XslCompiledTransform.Load(…)` of a reader on
    /// request text): an `msxsl:script` block in it runs as the page.
    RequestToXslt,
    /// Request data reaches SQL that runs an operating-system command on the database server
    /// (`xp_cmdshell '…`, `sp_OACreate 'WScript.Shell'`): a command shell through SQL Server.
    RequestInShellSql,
    /// Not a data flow but the same kind of second look: a block of the Windows Script Encoder
    /// (`#@~^` + its length in base64 + `==` … `==^#~@`) runs to at least half the length it
    /// declares (the encoder's `@&`-style escapes only make it longer). A scanner's signature
    /// list or a test that quotes the markers around a few characters (`#@~^bgEAAA==...==^#~@`)
    /// encodes nothing.
    EncodedBlock,
}

impl Check {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "request-to-exec" => Check::RequestToExec,
            "assembled-exec" => Check::AssembledExec,
            "decoder-exec" => Check::DecoderExec,
            "request-to-connection" => Check::RequestToConnection,
            "visitor-relay" => Check::VisitorRelay,
            "fetched-relay" => Check::FetchedRelay,
            "request-to-process" => Check::RequestToProcess,
            "sql-console" => Check::SqlConsole,
            "request-to-reflection" => Check::RequestToReflection,
            "request-to-sql" => Check::RequestToSql,
            "request-to-path" => Check::RequestToPath,
            "request-is-path" => Check::RequestIsPath,
            "request-to-file" => Check::RequestToFile,
            "request-to-load" => Check::RequestToLoad,
            "request-to-logon" => Check::RequestToLogon,
            "request-to-url" => Check::RequestToUrl,
            "request-to-deserialize" => Check::RequestToDeserialize,
            "request-to-xslt" => Check::RequestToXslt,
            "request-in-shell-sql" => Check::RequestInShellSql,
            "encoded-block" => Check::EncodedBlock,
            _ => return None,
        })
    }

    /// What a holding check says about its sink, for the finding's evidence.
    pub fn describe(self) -> &'static str {
        match self {
            Check::RequestToExec => "data flow: request data reaches this Execute/Eval",
            Check::RequestToProcess => "data flow: request data reaches this process command line",
            Check::RequestToReflection => {
                "data flow: request data names what this reflection call loads or invokes"
            }
            Check::SqlConsole | Check::RequestToSql | Check::RequestInSql => {
                "data flow: request data reaches this SQL, on a connection the request names"
            }
            Check::AssembledExec => "data flow: text assembled at run time reaches this Execute/Eval",
            Check::DecoderExec => "data flow: a decoder's output reaches this Execute/Eval",
            Check::VisitorRelay => {
                "data flow: a page fetched with the visitor's request values is written here as it is"
            }
            Check::FetchedRelay => "data flow: a fetched page is written here as it is",
            Check::RequestToPath => {
                "data flow: request data names the file or folder of this operation"
            }
            Check::RequestIsPath => {
                "data flow: the full path of this file operation is what the request sent"
            }
            Check::RequestToFile => {
                "data flow: request data is written into a file the request names or a script page"
            }
            Check::RequestToLoad => "data flow: request data names the assembly loaded here",
            Check::RequestToLogon => "data flow: request data is the account logged on here",
            Check::RequestToUrl => "data flow: request data reaches the URL fetched here",
            Check::RequestToDeserialize => "data flow: request data is what this call deserializes",
            Check::RequestToXslt => "data flow: request data is the stylesheet loaded here",
            Check::RequestInShellSql => {
                "data flow: request data reaches this SQL, which runs an operating-system command"
            }
            Check::RequestToConnection | Check::RequestNamesServer | Check::ConnectionIsRequest => {
                "data flow: request data reaches this database connection string"
            }
            Check::EncodedBlock => {
                "format: a Script Encoder block that runs as long as the length it declares"
            }
        }
    }
}

/// The slice follows definitions this many steps from the sink (a value copied through more
/// plain variables than this is not followed: a known limit): a shell's value travels a short
/// way (read, clean, run); the long chains of a framework are where a page-wide reading of names
/// stops meaning anything.
const MAX_DEPTH: usize = 6;

/// A check reads at most this many bytes of definitions over all its sinks; past it (a page
/// built to exhaust the reading, or a huge generated one) the check holds, so the hit stands on
/// its strings as plain YARA would have it.
const MAX_WORK: usize = 8 * 1024 * 1024;

/// A procedure's first this many parameters are bound at its calls, and a page gets at most
/// this many definitions in all: the reading stays linear in the page. (A stored procedure's
/// wrapper may take some 70 `out` parameters: that is no page built to exhaust the reading.)
const MAX_PARAMS: usize = 256;
const MAX_DEFS: usize = 65_536;
/// C# methods and JScript functions whose bodies are matched (each a scan to its closing brace).
const MAX_BODIES: usize = 2_048;

/// Pages larger than this need the hidden code itself in the slice of an assembled or decoded
/// statement (see `check_page`).
const LARGE_PAGE: usize = 64 * 1024;

/// The slice of a sink stops growing past this many bytes (the check then reads what it has).
const MAX_SLICE: usize = 256 * 1024;

/// Does `check` hold on the page `data`?
pub fn holds(check: Check, data: &[u8]) -> bool {
    Reading::new(data).holds(check)
}

/// One page read once for all the checks its hits ask for, with each check's answer kept.
pub struct Reading<'a> {
    data: &'a [u8],
    page: Option<Page<'a>>,
    answers: Vec<(Check, Option<Range<usize>>)>,
}

impl<'a> Reading<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reading {
            data,
            page: None,
            answers: Vec::new(),
        }
    }

    pub fn holds(&mut self, check: Check) -> bool {
        self.sink(check).is_some()
    }

    /// The statement (byte range of the page) whose sink the check found fed, when it holds:
    /// the evidence a finding shows.
    pub fn sink(&mut self, check: Check) -> Option<Range<usize>> {
        if let Some((_, a)) = self.answers.iter().find(|(c, _)| *c == check) {
            return a.clone();
        }
        let data = self.data;
        let a = if check == Check::EncodedBlock {
            encoded_block(data)
        } else if check == Check::RequestToFile {
            let page = self.page.get_or_insert_with(|| Page::read(data));
            request_to_file(page)
        } else if check == Check::SqlConsole {
            self.sink(Check::RequestToConnection).and_then(|_| {
                self.sink(Check::RequestToSql).or_else(|| {
                    self.sink(Check::RequestNamesServer)
                        .or_else(|| self.sink(Check::ConnectionIsRequest))
                        .and_then(|_| self.sink(Check::RequestInSql))
                })
            })
        } else {
            let page = self.page.get_or_insert_with(|| Page::read(data));
            check_page(page, check)
        };
        self.answers.push((check, a.clone()));
        a
    }
}

/// The first block of the Windows Script Encoder in `data` that spans at least half the length
/// it declares (see [`Check::EncodedBlock`]): `#@~^` and six base64 characters of a 32-bit
/// little-endian length, `==`, the encoded text, and `==^#~@` after a six-character checksum. A
/// UTF-16 page (`#\0@\0~\0^\0`) is read with its zero bytes dropped.
fn encoded_block(data: &[u8]) -> Option<Range<usize>> {
    const START: &[u8] = b"#@~^";
    const END: &[u8] = b"^#~@";
    let narrow;
    let (text, scale) = if memchr::memmem::find(data, START).is_none()
        && memchr::memmem::find(data, b"#\0@\0~\0^\0").is_some()
    {
        narrow = data
            .iter()
            .copied()
            .filter(|&b| b != 0)
            .collect::<Vec<u8>>();
        (&narrow[..], 2)
    } else {
        (data, 1)
    };
    let b64 = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    for at in memchr::memmem::find_iter(text, START) {
        let Some(head) = text.get(at + 4..at + 12) else {
            break;
        };
        if &head[6..] != b"==" {
            continue;
        }
        // six characters are 36 bits: the four bytes of the length, little-endian
        let Some(bits) = head[..6]
            .iter()
            .try_fold(0u64, |acc, &c| Some(acc << 6 | u64::from(b64(c)?)))
        else {
            continue;
        };
        let bytes = (bits >> 4).to_be_bytes();
        let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        let body = at + 12;
        let Some(end) = memchr::memmem::find(&text[body..], END) else {
            continue;
        };
        if declared > 0 && end >= declared / 2 {
            return Some(at * scale..(body + end + END.len()) * scale);
        }
    }
    None
}

fn check_page(page: &Page<'_>, check: Check) -> Option<Range<usize>> {
    let data = page.data;
    // what the caller typed: the request and the text boxes, and where the page declares HTML
    // inputs that run at the server, their values too
    let typed: &Regex = page.controls.as_ref().unwrap_or(&REQUEST_OR_BOX);
    let (sinks, patterns): (&Regex, &[&Regex]) = match check {
        Check::RequestToExec => (&EXEC_SINK, &[&REQUEST]),
        Check::AssembledExec => (&EXEC_SINK, &[&ASSEMBLY]),
        Check::DecoderExec => (&EXEC_SINK, &[&DECODER]),
        Check::RequestToConnection => (&CONN_SINK, &[typed]),
        Check::RequestToProcess => (page.proc_sink.as_ref().unwrap_or(&PROC_SINK), &[typed]),
        Check::RequestToSql => (&SQL_SINK, &[]),
        Check::ConnectionIsRequest => (&CONN_SINK, &[]),
        Check::RequestInSql => (&SQL_SINK, &[typed, &SPLICED_NAME]),
        Check::RequestNamesServer => (&CONN_SINK, &[typed, &SERVER_KEY]),
        Check::RequestToReflection => (&REFLECT_SINK, &[typed]),
        Check::SqlConsole => unreachable!("read as its two halves"),
        Check::VisitorRelay => (&RELAY_SINK, &[&FETCHED, &VISITOR]),
        Check::RequestToPath => (&PATH_SINK, &[typed]),
        Check::RequestIsPath => (&OPEN_PATH_SINK, &[]),
        Check::RequestToFile => unreachable!("read by request_to_file"),
        Check::EncodedBlock => unreachable!("read by encoded_block"),
        Check::RequestToLoad => (&LOAD_SINK, &[typed]),
        Check::RequestToLogon => (&LOGON_SINK, &[typed]),
        Check::RequestToUrl => (&URL_SINK, &[typed]),
        Check::RequestToDeserialize => (&DESERIALIZE_SINK, &[typed]),
        Check::RequestToXslt => (&XSLT_SINK, &[typed]),
        Check::RequestInShellSql => (&SQL_SINK, &[typed, &SHELL_SQL]),
        Check::FetchedRelay => (&WRITE_SINK, &[&FETCHED]),
    };
    // With one pattern, a name whose definitions were searched without a match needs no second
    // search from a later sink (unless that sink reaches it in fewer steps); with two, each sink
    // starts afresh, since what one sink's slice found is not another's.
    let mut memo = Memo::new();
    let mut budget = MAX_WORK;
    // In a large page the names are too many for the reading to tell a program that builds
    // statements from its own parts (an ERP's form engine) from a hidden one: there the hidden
    // code itself must be next to the sink (in its argument or a definition of a name it
    // reads), as a long literal or number list that a decoder turns back into code, or as
    // request data.
    let near_hidden_code =
        matches!(check, Check::AssembledExec | Check::DecoderExec) && page.code_len() > LARGE_PAGE;
    // these ask for request data as a whole, not in any part of the value
    let whole = matches!(
        check,
        Check::RequestToSql | Check::ConnectionIsRequest | Check::RequestIsPath
    );
    let exec = matches!(
        check,
        Check::RequestToExec | Check::AssembledExec | Check::DecoderExec
    );
    // (read from the page's server statements, not comments or markup: in real code, a use of
    // `Execute` as a value does not even compile unless the page has its own function)
    let own_execute = exec
        && page.statements.iter().any(|(st, _)| {
            let text = &data[st.clone()];
            let lead = text.trim_ascii_start();
            !lead.starts_with(b"'")
                && !lead.starts_with(b"//")
                && OWN_EXECUTE.is_match(text)
                && page.is_server(st.start)
        });
    let found = page.statements.iter().find(|(st, scope)| {
        let text = &data[st.clone()];
        // A commented-out line runs nothing, and a browser script or markup runs nothing on
        // the server.
        let lead = text.trim_ascii_start();
        if lead.starts_with(b"'") || lead.starts_with(b"//") || !sinks.is_match(text) {
            return false;
        }
        let mut pos = 0;
        while let Some(c) = sinks.captures_at(text, pos) {
            let m = c.get(0).expect("group 0");
            // A sink spelled inside a literal is text the page builds, not a call it makes; the
            // search goes on after it (`If a = "Execute" Then Execute(c)`).
            let at = m.start() + m.as_bytes().iter().take_while(|b| !b.is_ascii_alphabetic()).count();
            pos = at + 1;
            // (asked at the sink: a `<script runat="server">` tag and its first statement
            // may share a line)
            if in_literal(&text[..at]) || !page.is_server(st.start + at) {
                continue;
            }
            // `eval(d)` where every definition of `d` is `'table.' + name + '(' + …`: a call of a
            // member of one of the page's own objects, the one the request names (Remote
            // Scripting's dispatcher, which checks the name against its table first)
            if exec && is_word(&text[at..], b"eval") && page.member_dispatch(&text[at + 4..], *scope)
            {
                continue;
            }
            // A database helper called `Execute`, not the statement.
            if exec && is_word(&text[at..], b"execute") {
                let rest = &text[at + 7..];
                if own_execute || SQL_LITERAL.is_match(rest) || DISPATCH.is_match(rest) {
                    continue;
                }
            }
            // `Eval("&H" & hex)`: a number read from hex or octal digits, not code.
            if exec
                && is_word(&text[at..], b"eval")
                && NUMBER_EVAL.is_match(&text[at + 4..])
                && !REQUEST.is_match(&text[at + 4..])
            {
                continue;
            }
            // JScript's `eval("/" + … + "/")` used as a regular expression (`.test(…)`,
            // `s.match(eval(…))`): an old way to build one; the evaluated text is a regex literal
            if exec && is_word(&text[at..], b"eval") && page.regex_eval(text, at, *scope) {
                continue;
            }
            // `Eval(…)` of ASP.NET binds data (`<%# Eval("Name") %>`, `TemplateControl.Eval` of a
            // C# or VB page): it reads a field of the bound item and runs no code.
            if exec && is_word(&text[at..], b"eval") && page.binds_eval {
                continue;
            }
            // `x.Open arg` opens a connection only when `x` is one (`rs.Open sql, conn` runs SQL);
            // `x.Run arg` starts a process only when `x` is a COM object the page created, and
            // `x.Create arg` only when `x` is WMI's process class.
            let receivers = [
                ("recv", &*CONNECTION_OR_RECORDSET),
                ("com", &*COM_OBJECT),
                ("wmi", &*WMI_PROCESS),
                ("rs", &*RECORDSET),
                ("sc", &*SCRIPT_CONTROL),
            ];
            if receivers.iter().any(|(g, class)| {
                c.name(g)
                    .is_some_and(|r| !page.defined_as(r.as_bytes(), *scope, class))
            }) {
                continue;
            }
            // `x.Load(…)`/`x.loadXML …` loads a stylesheet only when `x` is an XSLT processor or a
            // document the page passes to `transformNode`; a stylesheet from a mapped path is a
            // file of the site, not the caller's text. A path or URL it loads must be what the
            // caller sent as a whole (a report page picks its own stylesheet by a name from the
            // request); a text or reader it loads may carry the caller's text in any part.
            let mut path_load = false;
            if let Some(x) = c.name("xsl") {
                if !page.defined_as(x.as_bytes(), *scope, &XSLT_CLASS)
                    && !page.stylesheet(x.as_bytes())
                {
                    continue;
                }
                let rest = c.get(c.len() - 1).map_or(&[][..], |m| m.as_bytes());
                if MAP_PATH.is_match(rest) {
                    continue;
                }
                let fa = first_arg(rest);
                let reader = XML_READER.is_match(fa)
                    || ONE_NAME.captures(fa).is_some_and(|n| {
                        page.defined_as(&n[1], *scope, &XML_READER)
                    });
                if c.name("xml").is_none() && !reader {
                    // the raw body itself (`xsl.load Request`)
                    if BARE_REQUEST.is_match(fa) {
                        return true;
                    }
                    path_load = true;
                }
            }
            // `x.FileName = …` sets what a process starts only in a page that starts processes
            // (an upload component has a `FileName` too)
            if check == Check::RequestToProcess
                && PROPERTY.is_match(m.as_bytes())
                && !START_INFO.is_match(data)
            {
                continue;
            }
            // `Process.Start("IExplore.exe", url)`, `new ProcessStartInfo("ping", args)`: a
            // program the page names itself, given the caller's text only as its arguments, and
            // no interpreter of commands or code: no shell
            if check == Check::RequestToProcess
                && [1, 2].iter().filter_map(|&i| c.get(i)).any(|a| {
                    FIXED_PROGRAM
                        .captures(a.as_bytes())
                        .is_some_and(|p| !INTERPRETER.is_match(&p[1]))
                })
            {
                continue;
            }
            // `rs.Open sql, conn`: a recordset's connection is its second argument
            let recordset = c.name("recv").is_some_and(|r| {
                page.defined_as(r.as_bytes(), *scope, &RECORDSET)
                    && !page.defined_as(r.as_bytes(), *scope, &CONNECTION_OBJECT)
            });
            if recordset && c.name("second").is_none() {
                continue;
            }
            let arg = (1..c.len())
                .filter(|&i| {
                    receivers
                        .iter()
                        .map(|(g, _)| *g)
                        .chain(["xsl", "xml"])
                        .all(|g| c.name(g).is_none_or(|r| c.get(i) != Some(r)))
                        && (!recordset || c.name("second") == c.get(i))
                })
                .find_map(|i| c.get(i))
                .map_or(&[][..], |m| {
                    let open = text[..m.start()].trim_ascii_end().ends_with(b"(");
                    call_args(data, st.start + m.start(), m.as_bytes(), open)
                });
            if patterns.len() > 1 {
                memo.clear();
            }
            // (code kept as encoded data, a base64 text or character codes, may be a loop's
            // list a few names away: `For Each c In Split(d, "B")`)
            if near_hidden_code
                && !page.saturated
                && page.slice_has_all(arg, *scope, &[&HIDDEN_CODE], 1, &mut Memo::new(), &mut budget)
                    == Some(false)
                && page.slice_has_all(arg, *scope, &[&CODE_DATA], 3, &mut Memo::new(), &mut budget)
                    == Some(false)
            {
                continue;
            }
            // A page too large or too tangled for the reading: the hit stands on its strings.
            let r = page.saturated
                || if whole || path_load {
                    // (a path the caller sends is read from the request itself: a text box's
                    // path is as often an installer's or a log viewer's)
                    let whole = if check == Check::RequestIsPath || path_load {
                        &*WHOLE_CALLER
                    } else {
                        &*WHOLE_REQUEST
                    };
                    page.whole_request(whole, first_arg(arg), *scope, &mut memo, &mut budget)
                        // or the path joins what the caller sends to a drive's root
                        // (`Path.Combine("C:\\", Request["dir"])`): the whole disk is reachable
                        || check == Check::RequestIsPath
                            && page.slice_has_all(
                                first_arg(arg),
                                *scope,
                                &[typed, &DRIVE_ROOT],
                                MAX_DEPTH,
                                &mut Memo::new(),
                                &mut budget,
                            ) == Some(true)
                } else {
                    page.slice_has_all(arg, *scope, patterns, MAX_DEPTH, &mut memo, &mut budget)
                        .unwrap_or(true)
                        // or the command is a parameter of the statement the caller fills
                        // (`xp_cmdshell @c` with `cmd.Parameters.AddWithValue("@c", Request["q"])`)
                        || check == Check::RequestInShellSql
                            && page.shell_sql_param(arg, *scope, typed, &mut budget)
                };
            if r {
                tracing::trace!(?check, sink = %String::from_utf8_lossy(text), "data-flow check holds");
                return true;
            }
        }
        false
    });
    found.map(|(st, _)| st.clone())
}

/// What runs code: VBScript's `Execute`/`ExecuteGlobal`/`Eval`, JScript's `eval` and
/// `new Function(…)`, and a script control's `AddCode`/`ExecuteStatement`/`Eval` (`Eval` only
/// of an object the page made a script control).
static EXEC_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)(?:^|[^.\w])(?:execute|executeglobal|eval|new\s+function)\b\s*\(?(.+)$|\.\s*(?:addcode|executestatement)\b\s*\(?(.+)$|\b(?P<sc>[a-z_]\w*)\s*\.\s*eval\b\s*\(?(.+)$").unwrap()
});
/// A literal that is a drive's root (`"C:\"`, `"D:\\"`, `'E:/'`), as a whole.
static DRIVE_ROOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)(?:@?"[a-z]:(?:\\{1,2}|/)?"|'[a-z]:(?:\\{1,2}|/)?')"#).unwrap()
});
/// A value that is the text of a file: `f.ReadAll` of a text stream the FileSystemObject opened.
static FILE_CONTENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*\(?\s*([a-z_]\w*)\s*\.\s*readall\b\s*(?:\(\s*\))?\s*\)?\s*$").unwrap()
});
/// The request itself (not the session, which the page's own code may have filled).
static CALLER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i-u)\brequest\s*[.(\[]").unwrap());
/// The directive that opens an ASP.NET page, control or handler in C# or VB, or names no
/// language: languages without an `eval`, where `Eval(…)` is the page's data binding. (Classic
/// ASP's `<%@ Language=VBScript %>` names no `Page`, and JScript.NET's `eval` runs code: a page
/// that names JScript anywhere is not one of these, see [`JSCRIPT_LANGUAGE`].)
static NET_NO_EVAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)^(?:\xef\xbb\xbf)?\s*<%@\s*(?:page|control|master|webhandler|webservice|application)\b(?:[^%>]{0,300}\blanguage\s*=\s*["']?(?:c#|cs|csharp|vb|vbnet|vb\.net|visualbasic)(?:["'\s%]|$)|(?:[^%>l]|l(?:[^a%>]|a[^n%>]))*%>)"#).unwrap()
});
/// JScript named as the server's language: in a directive, or on a `<script runat="server">`
/// (a browser script's `language="javascript"` is not it).
static JSCRIPT_LANGUAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?i-u)<%@[^%>]{0,300}\blanguage\s*=\s*["']?(?:jscript|javascript|js)\b"#,
        r#"|<script\b[^>]{0,200}\brunat\s*=\s*["']?server[^>]{0,200}\blanguage\s*=\s*["']?(?:jscript|javascript|js)\b"#,
        r#"|<script\b[^>]{0,200}\blanguage\s*=\s*["']?(?:jscript|javascript|js)\b[^>]{0,200}\brunat\s*=\s*["']?server"#
    ))
    .unwrap()
});
static SCRIPT_CONTROL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)scriptcontrol").unwrap());
/// What loads or calls by name through reflection (see [`Check::RequestToReflection`]).
static REFLECT_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)\b(?:assembly\s*\.\s*load\w*|gettype|getmethod|getproperty|getfield|invokemember|createinstance)\s*\((.+)$",
    )
    .unwrap()
});
/// What runs SQL: `conn.Execute x`, `rs.Open x` of a recordset, a command object's text.
static SQL_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i-u)(?:\.\s*execute\b\s*\(?(.+)$",
        r"|(?P<rs>[a-z_]\w*)\s*\.\s*open\b\s*\(?(.+)$",
        r"|(?:sql|oledb|odbc)(?:command|dataadapter)\s*\((.+)$",
        r"|(?:\.|[{,]|^)\s*commandtext\s*=\s*(.+)$)"
    ))
    .unwrap()
});
/// What starts a process (see [`Check::RequestToProcess`]). `FileName` is a sink only as a
/// property (`si.FileName =`, `…, FileName =`): a classic ASP variable called `filename` is not.
static PROC_SINK: LazyLock<Regex> = LazyLock::new(|| Regex::new(PROC_SINK_SRC).unwrap());
/// The text of [`PROC_SINK`], which a page that imports a process API under a name of its own
/// extends with that name (see [`process_aliases`]).
const PROC_SINK_SRC: &str = concat!(
    r"(?i-u)(?:\bprocess\s*\.\s*start\b\s*\((.+)$",
    r"|\bprocessstartinfo\s*\((.+)$",
    r"|(?:[.,]\s*(?:arguments|filename|lpfile|lpparameters)|^\s*arguments)\s*=\s*(.+)$",
    r"|(?:(?P<com>[a-z_]\w*)\s*)?\.\s*(?:exec|run|shellexecute)\b\s*\(?(.+)$",
    r"|(?P<wmi>[a-z_]\w*)\s*\.\s*create\b\s*\(?(.+)$",
    r"|(?:^|[^.\w]|\binteraction\s*\.\s*)shell\s*\((.+)$",
    // kernel32's WinExec by P/Invoke, and a component's (`o.RemoteWinExec Request("c")`)
    r"|\b\w*winexec\b\s*\(?(.+)$)"
);
/// A P/Invoke import of a process API (kernel32's `WinExec` and `CreateProcess*`, shell32's
/// `ShellExecute*`), the name the page calls it by in `name`: C#'s `[DllImport("kernel32",
/// EntryPoint = "WinExec")] static extern int Run(…)` and `[DllImport("shell32.dll")] extern static
/// IntPtr ShellExecute(…)`; VB's `Declare Function Run Lib "kernel32" Alias "WinExec"`,
/// `Declare Function ShellExecute Lib "shell32"`, and `<DllImport(…)> Shared Function Run(…)`.
/// (Without the import, a `CreateProcess(…)` is as often a workflow's own method.)
static PROCESS_IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?i-u)\bentrypoint\s*:?=\s*"(?:winexec|shellexecute(?:ex)?[aw]?|createprocess\w*)"[^\]>]{0,200}[\]>]"#,
        r"[^;{}]{0,300}?\bextern\s+(?:(?:static|unsafe|public|private|internal|protected|new)\s+)*[\w.\[\]]+\s+(?P<name>[a-z_]\w*)\s*\(",
        r"|\bextern\s+(?:(?:static|unsafe|public|private|internal|protected|new)\s+)*[\w.\[\]]+\s+(?P<own>shellexecute(?:ex)?[aw]?|createprocess(?:asuser|withlogon|withtoken)?[aw]?)\s*\(",
        r#"|\b(?:function|sub)\s+(?P<vb>[a-z_]\w*)\s+lib\s+"[^"\r\n]*"[\s_]+alias\s+"(?:winexec|shellexecute(?:ex)?[aw]?|createprocess\w*)""#,
        r#"|\b(?:function|sub)\s+(?P<vbo>shellexecute(?:ex)?[aw]?|createprocess(?:asuser|withlogon|withtoken)?[aw]?)\s+lib\s+""#,
        r#"|<dllimport\s*\([^)]{0,200}entrypoint\s*:=\s*"(?:winexec|shellexecute(?:ex)?[aw]?|createprocess\w*)"[^>]{0,200}>[^(]{0,200}?\b(?:function|sub)\s+(?P<vbn>[a-z_]\w*)\s*\("#,
        r"|<dllimport\s*\([^>]{0,200}>[^(]{0,200}?\b(?:function|sub)\s+(?P<vbno>shellexecute(?:ex)?[aw]?|createprocess(?:asuser|withlogon|withtoken)?[aw]?)\s*\("
    ))
    .unwrap()
});
/// Where a page loads an assembly (see [`Check::RequestToLoad`]).
static LOAD_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\bassembly\s*\.\s*(?:load\w*|unsafeloadfrom)\s*\((.*)$").unwrap()
});
/// Where a page fetches a URL on the server (see [`Check::RequestToUrl`]): an HTTP object's
/// `Open "GET", url`, `WebRequest.Create(url)`, a `WebClient`'s downloads and uploads, an
/// `HttpClient`'s requests.
static URL_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i-u)(?:\.\s*open\s*\(?\s*(?:\x22[a-z]{3,9}\x22|'[a-z]{3,9}'|[a-z_][\w.]*(?:\s*\([^()]*\))?)\s*,",
        r"|WebRequest\s*\.\s*Create(?:Http|Default)?\s*\(",
        r"|\.\s*(?:DownloadString|DownloadData|DownloadFile|OpenRead|UploadString|UploadData|UploadValues|UploadFile)(?:Async|TaskAsync)?\s*\(",
        r"|\.\s*(?:GetAsync|PostAsync|PutAsync|GetStringAsync|GetByteArrayAsync|GetStreamAsync)\s*\()",
        r"\s*(.*)$"
    ))
    .unwrap()
});
/// What a page deserializes (see [`Check::RequestToDeserialize`]).
static DESERIALIZE_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)(?:\.\s*(?:deserialize|deserializeobject|readobject)\s*(?:<[^>]*>\s*)?\(|\bxaml(?:reader|services)\s*\.\s*(?:parse|load)\s*\()(.*)$").unwrap()
});
/// Where a page loads a stylesheet (see [`Check::RequestToXslt`]): `x.Load(…)`, `x.loadXML …`,
/// `x.load …` (the receiver, `xsl`, is checked to be an XSLT processor or a stylesheet; `xml`
/// is there when the call loads text, not a path).
static XSLT_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\b(?P<xsl>[a-z_]\w*)\s*\.\s*load(?P<xml>xml)?\b\s*\(?(.+)$").unwrap()
});
/// What an XSLT processor of .NET is defined as (MSXML's stylesheets are documents, known by
/// their use: see [`TRANSFORM_ARG`]).
static XSLT_CLASS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)\bxsl(?:compiled)?transform\b").unwrap());
/// A document passed to MSXML's `transformNode` as the stylesheet (or its root element), or
/// made an `XSLTemplate`'s stylesheet.
static TRANSFORM_ARG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\btransformnode(?:toobject)?\s*\(?\s*([a-z_]\w*)(?:\s*\.\s*\w+)*\s*[),]|\.\s*stylesheet\s*=\s*([a-z_]\w*)").unwrap()
});
/// What a stylesheet is read from when it is no path: a reader, a stream, a parsed document.
static XML_READER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)reader|stream|xmldocument|xpathdocument|navigator|\bnew\s").unwrap()
});
/// The request object itself as a value (`xsl.load Request`: the raw body).
static BARE_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*\(?\s*(?:[a-z_]\w*\s*\.\s*)?request\s*\)?\s*[;,]?\s*$").unwrap()
});
/// SQL that runs a command on the database server: `xp_cmdshell '…'`, `xp_cmdshell @c`,
/// `xp_cmdshell "` + a value, `"… xp_cmdshell "` continued on another line, `sp_OACreate
/// 'WScript.Shell'`, `sp_OAMethod @s` (a filter's
/// list of forbidden words, `"xp_cmdshell"`, is none of these).
static SHELL_SQL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)\bxp_cmdshell\s*(?:n?'|@|\x22\s*[&+]\s*[a-z_(])|\bxp_cmdshell\s+\x22|\bsp_oa(?:create|method)\s+(?:n?'|@)"#).unwrap()
});
/// A statement that binds a parameter of a SQL command: `Parameters.AddWithValue("@c", x)`,
/// `Parameters.Add("@c", SqlDbType.NVarChar).Value = x`, `Parameters.Add(new SqlParameter("@c",
/// x))` (name in 1, value in 2); `Parameters["@c"].Value = x`, `Parameters("@c").Value = x`,
/// `Parameters.Item("@c").Value = x` (name in 3, value in 4); ADO's `cmd.CreateParameter("@c",
/// type, dir, size, x)` (name in 5, value in 6); a parameter object's `p.Value = x` (the object in
/// 7, value in 8); an initializer's `ParameterName = "@c", Value = x` (name in 9, value in 10);
/// `Parameters[0].Value = x` (value in 11: any parameter).
static SQL_PARAM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?i-u)\bparameters\s*(?:\.\s*add(?:withvalue)?\s*\(\s*(?:new\s+[\w.]*parameter\s*\(\s*)?"@?(\w+|\?)"\s*,(.+)$"#,
        r#"|(?:\.\s*item\s*)?[\[(]\s*"@?(\w+)"\s*[\])]\s*\.\s*value\s*=(.+)$)"#,
        r#"|\bcreateparameter\s*\(\s*"@?(\w+)"\s*,(.+)$"#,
        // a parameter object's value (`p.Value = x` of `p = new SqlParameter("@c", …)`), an
        // initializer's (`ParameterName = "@c", Value = x`), one bound by its index
        r"|^\s*([a-z_]\w*)\s*\.\s*value\s*=([^=].*)$",
        r#"|\bparametername\s*=\s*"@?(\w+)"\s*,\s*value\s*=(.+)$"#,
        r"|\bparameters\s*\[\s*\d+\s*\]\s*\.\s*value\s*=(.+)$"
    ))
    .unwrap()
});
/// A parameter object's definition with its name: `new SqlParameter("@c", …)`,
/// `New OleDbParameter("@c", …)`, `cmd.CreateParameter("@c", …)`.
static PARAM_OBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)\b(?:new\s+[\w.]*parameter|createparameter)\s*\(\s*"@?(\w+)""#).unwrap()
});
/// Where a page logs on an account (see [`Check::RequestToLogon`]).
static LOGON_SINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)\blogonuser[aw]?\s*\((.*)$").unwrap());
/// What a page writes into its response (see [`Check::FetchedRelay`]): `Response.Write x`,
/// `<%= x %>` (a statement that starts with its `=`), and `x.CopyTo(Response.OutputStream)`.
static WRITE_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)\bResponse\s*\.\s*(?:Write|BinaryWrite|OutputStream\s*\.\s*Write)\b\s*\(?(.+)$|^\s*=(.+)$|\b([a-z_][\w.]*(?:\s*\([^()]*\))?)\s*\.\s*CopyTo\s*\(\s*(?:(?:HttpContext\s*\.\s*Current|context|this|Page)\s*\.\s*)?Response\s*\.\s*OutputStream\b",
    )
    .unwrap()
});
/// What writes content into a file (see [`Check::RequestToFile`]): `f.Write x` of a stream the
/// page opened on a file (`fw`), `fso.CreateTextFile(p).Write x` (`p2`, `c2`),
/// `File.WriteAllText(p, x)` (`a3`: the path, then the content), an upload's
/// `SaveAs(p)` (`up`, `a4`), and the raw body or an upload copied into a stream
/// (`Request.InputStream.CopyTo(fs)`: `src`, `cs`).
static FILE_WRITE_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i-u)(?:\b(?P<fw>[a-z_]\w*)\s*\.\s*(?:write|writeline|writetext)\b\s*\(?(?P<c1>.+)$",
        r"|\b(?:createtextfile|opentextfile)\s*\((?P<p2>[^\r\n]*)\)\s*\.\s*write(?:line)?\b\s*\(?(?P<c2>.+)$",
        r"|\b(?:file|filesystem)\s*\.\s*(?:writeall|appendall)\w*\s*\((?P<a3>.+)$",
        r"|(?P<up>\brequest\s*\.\s*files\s*(?:\[[^\[\]]*\]|\([^()]*\))|\b[a-z_]\w*)\s*\.\s*saveas\s*\((?P<a4>.+)$",
        r"|\b(?P<src>[a-z_]\w*(?:\s*(?:\.\s*[a-z_]\w*|\[[^\[\]]*\]|\([^()]*\)))*?)\s*\.\s*copyto(?:async)?\s*\(\s*(?P<cs>[a-z_]\w*))"
    ))
    .unwrap()
});
/// What a stream the page opened on a file was defined as (the receiver of a
/// [`FILE_WRITE_SINK`] write), the call that names its path in a capture.
static STREAM_OPEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i-u)(?:\b(?:createtextfile|streamwriter|filestream)\s*\((.+)$",
        r"|\bopentextfile\s*\((.+)$",
        r"|\bfile\s*\.\s*(?:create|createtext|appendtext|openwrite|open)\s*\((.+)$)"
    ))
    .unwrap()
});
/// What a page that sets a process's `FileName`/`Arguments` has (see [`PROC_SINK`]), or the
/// `lpFile`/`lpParameters` of shell32's `ShellExecuteEx` structure.
static START_INFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)processstartinfo|\.\s*startinfo\b|\bstartinfo\s*\.|\bshellexecuteex\b")
        .unwrap()
});
/// A program of the system named by a literal as the first of two arguments, by its bare name
/// (`"IExplore.exe", …`: found on the search path) or under the Windows or program folders
/// (`@"C:\Windows\System32\ping.exe", …`): its bare name in group 1. (A tool the caller dropped
/// in a folder of the site, `@"C:\inetpub\wwwroot\up\p.exe"`, is no program of the system.)
static FIXED_PROGRAM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)^\s*@?"(?:(?:(?:[a-z]:)?[\\/]+(?:windows|program files(?: \(x86\))?)|%(?:windir|systemroot|programfiles)%)[\\/]+(?:[^"\r\n]*[\\/]+)?)?([\w.-]+?)(?:\.(?:exe|com))?"\s*,"#).unwrap()
});
/// Programs that run what their arguments say: command shells and script hosts, language
/// runtimes and compilers, and the Windows tools that start other programs or commands
/// (`rundll32`, `wmic`, `schtasks`, `forfiles`, `msbuild`, …), or fetch files (`certutil`).
static INTERPRETER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i-u)^(?:cmd|command|powershell(?:_ise)?|pwsh|cscript|wscript|mshta|rundll32|regsvr32",
        r"|msiexec|wmic|bash|sh|wsl|python\w*|py|perl|ruby|php\w*|node|java|javaw|dotnet|msbuild",
        r"|installutil|regasm|regsvcs|csc|vbc|jsc|certutil|bitsadmin|schtasks|at|sc|reg|regedit",
        r"|net1?|netsh|psexec\w*|paexec|runas|forfiles|ftp|tftp|curl|wget|nc|ncat|netcat|plink",
        r"|ssh|sqlcmd|osql|isql|bcp|conhost|explorer|hh|cmstp|odbcconf|pcalua|mavinject",
        r"|presentationhost|control|start|winrm|winrs|wmiprvse|taskkill|sdelete|procdump\w*",
        r"|ntdsutil|vssadmin|wevtutil|esentutl|expand|makecab|extrac32|7z\w*|winrar|rar|tar",
        r"|xcopy|robocopy|copy|move|del|type|findstr|certreq|mmc|msdt|infdefaultinstall",
        r"|syncappvpublishingserver|appvlp|ieexec|dnscmd|diskshadow|cdb|windbg|ntsd|tracker)$"
    ))
    .unwrap()
});
/// The property form of a [`PROC_SINK`] (`si.FileName = …`, `Arguments = …`, `i.lpFile = …`).
static PROPERTY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*(?:[.,]\s*(?:arguments|filename|lpfile|lpparameters)|arguments)\s*=")
        .unwrap()
});
/// A page that opens a stream by its constructor (`new StreamWriter(…)`), which a `using (…)` or a
/// VB `Dim … As New` may define where the reading of assignments does not look.
static STREAM_CTOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)\b(?:streamwriter|filestream)\s*\(").unwrap());
/// A stream of ADODB (`Server.CreateObject("ADODB.Stream")`), whose path is in its `SaveToFile`.
static ADODB_STREAM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)adodb\.stream").unwrap());
/// A stream of what the caller sent, at the end of the chain a `CopyTo` copies from:
/// `….InputStream`, `….GetBufferlessInputStream()`.
static BODY_STREAM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\s*\.\s*(?:inputstream|getbufferless(?:input)?stream\s*\(\s*\))$").unwrap()
});
/// A name defined as such a stream of the request or of an upload
/// (`Stream body = c.Request.InputStream`).
static BODY_DEF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\brequest\s*\.\s*(?:inputstream|getbufferless(?:input)?stream)\b|(?:\.\s*postedfile|\brequest\s*\.\s*files\s*(?:\[[^\[\]]*\]|\([^()]*\)))\s*\.\s*inputstream\b").unwrap()
});
/// A buffer filled from a stream: `s.Read(buf, 0, n)` (group 1 the stream, group 2 the buffer).
static READ_INTO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*(?:[a-z_]\w*\s*[+]?=\s*)?(.+?)\s*\.\s*read\s*\(\s*([a-z_]\w*)\s*,")
        .unwrap()
});
/// The request object at the end of a chain (`c.Request`, not `my_request`).
static ENDS_REQUEST: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i-u)\brequest$").unwrap());
/// A name that says it holds an upload (`myPostedFile`).
static POSTED_FILE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i-u)postedfile$").unwrap());
/// What an upload object was defined as (`Request.Files[0]`, `x.PostedFile`).
static UPLOAD_SRC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)request\s*\.\s*files\b|\.\s*postedfile\b").unwrap());
/// The site's path mapping in front of a path: `Server.MapPath(`, `context.Server.MapPath(`,
/// `HostingEnvironment.MapPath(`, `Request.MapPath(`, `MapPath(`, any object's
/// `x.Server.MapPath(`, `System.Web.Hosting.HostingEnvironment.MapPath(`.
static MAP_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*\(?\s*(?:[a-z_]\w*\s*\.\s*){0,5}mappath\s*\(").unwrap()
});
/// The site's root as a literal a path is joined to: `"~/" + name`, `"/" & name`.
static SITE_ROOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i-u)^\s*(?:"~?[/\\]{0,2}"|'~?/')\s*[+&]\s*"#).unwrap());
/// A literal that names a script page (see [`Check::RequestToFile`]), IIS's `x.asp;.jpg` and
/// `x.asp/1.jpg` included.
static SCRIPT_LITERAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)["'][^"'\r\n]*\.(?:asp|aspx|asa|ashx|asmx|ascx|asax|master|cer|cdx|config|cshtml|vbhtml|svc|shtml|stm|php|jsp)(?:[;/][^"'\r\n]*)?["']"#).unwrap()
});
/// What lists or reads a file or folder by its path, or writes one (see
/// [`Check::RequestIsPath`]): not the deletes, copies and moves, which an editor's asset manager
/// or connector also does on the physical paths its own dialog sends, nor a download handler's
/// `TransmitFile`/`WriteFile`, nor `GetFile`, which is as often the handle of a delete.
static OPEN_PATH_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i-u)(?:\b(?:getfolder|opentextfile|createtextfile|savetofile|loadfromfile|saveas)\b",
        r"|\b(?:file|directory)\s*\.\s*(?:getfiles|getdirectories|enumeratefiles|readalltext|readallbytes|readalllines",
        r"|writealltext|writeallbytes|appendalltext|openread|openwrite|opentext|open|create|createtext|appendtext",
        r"|getfilesystementries|enumeratedirectories)\b",
        r"|\b(?:directoryinfo|fileinfo|streamwriter|streamreader|filestream)\s*\()",
        r"\s*\(?(.+)$"
    ))
    .unwrap()
});
/// What acts on a file or folder by its path (see [`Check::RequestToPath`]).
static PATH_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i-u)(?:\b(?:getfolder|getfile|deletefile|deletefolder|movefile|movefolder|copyfile|copyfolder",
        r"|opentextfile|createtextfile|createfolder|savetofile|loadfromfile|saveas|writefile|transmitfile)\b",
        r"|\b(?:file|directory)\s*\.\s*(?:delete|copy|move|getfiles|getdirectories|enumeratefiles",
        r"|readalltext|readallbytes|readalllines|writealltext|writeallbytes|appendalltext|openread|openwrite",
        r"|opentext|open|create|createtext|appendtext|createdirectory|getfilesystementries",
        r"|enumeratedirectories|setattributes|setlastwritetime|setcreationtime)\b",
        r"|\.\s*(?:moveto|copyto)\b",
        r"|\b(?:directoryinfo|fileinfo|streamwriter|streamreader|filestream)\s*(?:\(|$))",
        r"\s*\(?(.+)$"
    ))
    .unwrap()
});
static CONN_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)(?:(?P<recv>[a-z_]\w*)\s*\.Open\b\s*\(?\s*([a-z_]\w*(?:\s*\(\s*[^()]*\))?)\s*\)?\s*(?:,\s*(?P<second>[^,\r\n]+)|,|$)|(?:Sql|OleDb|Odbc)Connection\s*\(\s*([^)]+)\)|\.ConnectionString\s*=\s*(.+)$)",
    )
    .unwrap()
});
/// `Response.Write x`, `Response.Write(f(y))` or `<%= x %>`: one value written as it is, not a string of
/// markup with a value in it.
static RELAY_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)(?:Response\s*\.\s*(?:Write|BinaryWrite)\s*\(?|^\s*=)\s*([a-z_][\w.]*(?:\s*\([^()]*\))?)\s*\)?\s*$",
    )
    .unwrap()
});
static FETCHED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\.\s*(?:responseText|responseBody|DownloadString|DownloadData|GetResponseStream|GetStringAsync)\b").unwrap()
});
static VISITOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)ServerVariables\s*[\[(]\s*\x22(?:HTTP_HOST|SERVER_NAME|SCRIPT_NAME|QUERY_STRING|URL|PATH_INFO|HTTP_USER_AGENT|HTTP_REFERER)\x22|Request\s*\.\s*(?:Url|RawUrl|UserAgent|UrlReferrer|QueryString\s*\.\s*ToString|QueryString\s*(?:$|[^\s(\[\w.])|Headers\s*\[\s*\x22(?:Host|User-Agent)\x22)",
    )
    .unwrap()
});
/// Request data: `Request(…)`, `Request[…]`, `Request.Form…` and the other collections, the raw
/// body; also reached through any object's member (`Context.`, `HttpContext.Current.`, `this.`,
/// `ctx.`); the view state, which the client sends back; and the request object kept whole in a
/// name. (`request.responseText` of a browser script's XMLHttpRequest named `request` is not
/// it.) The session is not request data of itself: a
/// value read from it is what the page stored under its key (see [`session_keys`]), and
/// what other pages stored (a login page's user, a connection string) is the application's.
const REQUEST_SRC: &str = concat!(
    r"(?:^|[^.\w]|\b[a-z_]\w*\s*\.\s*)(?:request\s*(?:[(\[]|\.\s*(?:form|querystring|query|item|params|cookies|headers|files|inputstream|binaryread|getbufferlessinputstream|pathinfo|unvalidated)\b",
    // the server variables the caller writes (headers, query, URL), or any by a computed name;
    // not those the server sets (`PATH_TRANSLATED`, `SCRIPT_NAME`, `REMOTE_ADDR`, …)
    r#"|\.\s*servervariables\b(?:\s*[(\[]\s*(?:"(?:http_|header_|query_string|all_|unencoded_url|cache_url|content_|path_info|url"|remote_user|logon_user|auth_|cert_|request_method)|"[^"\r\n]*"\s*[&+]|[^"\s])|\s*[^(\[\s]|\s*$))"#,
    r"|viewstate\s*[(\[])",
    // the request object itself kept in a name (`HttpRequest req = context.Request;`,
    // `Set r = Request`): what is read through that name is request data
    r"|(?:=|\b[a-z_]\w*\s*\.)\s*request\s*;?\s*$"
);
static REQUEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("(?i-u){REQUEST_SRC}")).unwrap());
static REQUEST_OR_BOX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i-u)(?:{REQUEST_SRC}|{BOX_TEXT})")).unwrap());
/// What a text box holds: `txt.Text`, `txt.Text.Trim()`; not the `System.Text` namespace
/// (`System.Text.Encoding…`).
const BOX_TEXT: &str = r"\w\.Text\b\s*(?:[^.\s\w]|$|\.\s*(?:trim|tostring|split|replace|substring|tolower|toupper|remove)\b)";
/// An HTML control run at the server: `<input id="cmd" runat="server">`, whose `.Value` is what
/// the caller typed (see [`Page::controls`]).
static SERVER_INPUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i-u)<(?:input|textarea|select)\b[^<>]{0,300}\brunat\s*=\s*["']?server[^<>]{0,300}>"#,
    )
    .unwrap()
});
static CONTROL_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i-u)\bid\s*=\s*["']?([a-z_]\w{0,60})"#).unwrap());
/// A value that is request data as a whole (perhaps trimmed, converted to text or decoded):
/// `Request.Form("sql")`, `Trim(Request("q"))`, `Request.Cookies["c"].Value`,
/// `Request.BinaryRead(n)`, `txtSql.Text`, `ViewState["q"].ToString()`. The
/// SQL of a console is what its caller typed; request values spliced into an application's own
/// statement (`"… WHERE id=" & Request("id")`) are not that.
static WHOLE_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i-u)^{WRAP_OPEN}(?:{WHOLE_CALLER_SRC}|[a-z_]\w*\s*\.\s*text){WRAP_CLOSE}"
    ))
    .unwrap()
});
/// [`WHOLE_REQUEST`] without the text boxes: what the request itself carries, a collection's
/// value (cookies and headers included, `.Item`, `.Value`), the raw body, the view state.
static WHOLE_CALLER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i-u)^{WRAP_OPEN}(?:{WHOLE_CALLER_SRC}){WRAP_CLOSE}"
    ))
    .unwrap()
});
const WHOLE_CALLER_SRC: &str = concat!(
    r"(?:(?:httpcontext\s*\.\s*current|[a-z_]\w*)\s*\.\s*)?",
    r"(?:request\s*(?:\.\s*(?:form|querystring|item|params|cookies|headers))?(?:\s*\.\s*item)?\s*(?:\(\s*[^()]*\)|\[[^\[\]]*\])(?:\s*\.\s*value\b)?",
    r"|request\s*\.\s*(?:form|querystring|params)\s*\.\s*get\s*\([^()]*\)",
    r"|request\s*\.\s*binaryread\s*\((?:[^()]|\([^()]*\))*\)",
    r"|viewstate\s*\[[^\[\]]*\])"
);
/// What may wrap a value and leave it whole: trimming, conversion to text, decoding, an empty
/// literal appended (`Trim(x)`, `x.ToString()`, `x & ""`); and the further arguments of the
/// call it is the first of (`sql, conn, 1, 1`) or the end of a C# statement (`;`).
const WRAP_OPEN: &str = r"\s*\(?\s*(?:(?:trim|ltrim|rtrim|cstr|lcase|ucase|unescape|convert\s*\.\s*tostring|server\s*\.\s*(?:htmldecode|urldecode)|httputility\s*\.\s*(?:url|html)decode)\s*\(\s*)*";
const WRAP_CLOSE: &str =
    r#"(?:\s*\.\s*(?:tostring|trim)\s*\(\s*\)|\s*[&+]\s*""|\s*\))*\s*(?:[,;].*)?$"#;
/// A value spliced into SQL outside quotes (`" from " & tbl`, `"select " + cols`): what a dumper
/// does with the names its caller sends; a quoted value (`"… where name='" & n & "'"`) is data,
/// the way an install page deletes its admin account by the name the form gives.
static SPLICED_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i-u)[^'"\\]"\s*[&+]\s*[a-z_(\[]"#).unwrap());
/// The parts of a connection string that name a server or an account (not `Data Source=`,
/// which is as often the path of an Access or Excel file).
static SERVER_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\b(?:server|address|addr|host|uid|user\s+id|user|pwd|password)\s*=").unwrap()
});
/// A value that is one name, perhaps trimmed or converted to text (and the further arguments
/// of the call it is the first of): `sql`, `Trim(q)`, `sql, conn, 1, 1`, `q.ToString())`.
static ONE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i-u)^{WRAP_OPEN}([a-z_]\w*){WRAP_CLOSE}")).unwrap());
/// A value that is one session (or application) value, perhaps trimmed or converted to text:
/// `Session("cs")`, `Session["q"].ToString()`, `Session(k)`, `Application("cs")`.
static ONE_SESSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i-u)^{WRAP_OPEN}(?:(?:httpcontext\s*\.\s*current|context|this|page)\s*\.\s*)?((?:session|application)\s*(?:\.\s*(?:contents|item)\s*)?(?:\((?:[^()]|\([^()]*\))*\)|\[[^\[\]]*\])){WRAP_CLOSE}"
    ))
    .unwrap()
});
/// The key of a session value read or stored, right after the word `Session`: `("cs")`,
/// `["q"]`, `.Contents("cs")`, `.Item(k)` (group 1 holds the literal key; a computed key has
/// none; `Session.SessionID` reads no value).
static SESSION_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)^\s*(?:\.\s*(?:contents|item)\s*)?(?:[(\[]\s*["']([^"'\r\n]{0,80})["']\s*[)\]]|[(\[])"#).unwrap()
});
/// A session or application value stored: `Session("k") = v`, `Session["k"] = v;`,
/// `Session.Contents("k") = v`, `Application("k") = v`, a key computed two calls deep
/// (`Session(f(Array(112, 97))) = v`), anywhere in a statement (group 1 the
/// store, group 2 from the key on, group 3 the value).
static SESSION_STORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)\b(session|application)(\s*(?:\.\s*(?:contents|item)\s*)?(?:\((?:[^()\r\n]|\((?:[^()\r\n]|\([^()\r\n]*\))*\))*\)|\[[^\[\]\r\n]*\]))\s*=([^=].*)$"#).unwrap()
});
/// Is `name` (lower case) one of the objects whose values are kept by key: the session, the
/// application?
fn is_store(name: &[u8]) -> bool {
    name == b"session" || name == b"application"
}

/// The members of the session and application objects that hold no stored value.
static NO_VALUE_MEMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*\.\s*(?:sessionid|abandon|lock|unlock|timeout|lcid|codepage|count|remove|removeall|clear|keys|iscookieless|isnewsession|isreadonly|mode|staticobjects)\b").unwrap()
});
static ASSEMBLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i-u)(?:",
        // character codes of a variable: Chr(x - 3), ChrW(a(i) Xor k)
        r"chr[wb]?\s*\(\s*[a-z_]\w*(?:\s*\([^()]*\))?\s*(?:[-+*/\\^]|xor\b)",
        r"|strreverse\s*\(",
        r"|array\s*\(\s*(?:[0-9]{2,3}\s*,\s*){3}",
        r"|split\s*\(\s*\x22[a-z]{3,}\x22",
        r"|\x22[a-z]\x22\s*,\s*\x22[a-z]\x22\s*,\s*\x22[a-z]\x22\s*,\s*\x22[a-z]\x22",
        r"|\x22[a-z](?:[|,;][a-z]){3,}\x22",
        // junk stripped out: Replace(x, "0", "") (spaces taken out are tidying, not junk)
        r"|replace\s*\(\s*[a-z_]\w*\s*,\s*\x22[^\x22\r\n ]{1,4}\x22\s*,\s*\x22\x22\s*\)",
        // the statement spelled two letters at a time: s = s & "ev"
        r"|(?:&\s*\x22[a-z]{1,2}\x22\s*){3}",
        r"|asc[wb]?\s*\(\s*mid[b]?\s*\(",
        // letters with a separator between each, and the separators taken out again:
        // "e!v!a!l", Join(Split(x, "!"), ""), Join(Array("Scrip", "ting"), "")
        r"|\x22[a-z](?:[!#$%*,.;|~^][a-z]){3,}\x22",
        r"|join\s*\(\s*(?:split|array)\s*\((?s:.{0,200}?)\)\s*,\s*\x22\x22\s*\)",
        // or one or two letters at a time, a definition each: v = v & "al"
        r"|^\s*[a-z_]\w*\s*&\s*\x22[a-z]{1,2}\x22\s*$",
        r")"
    ))
    .unwrap()
});
static DECODER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i-u)(?:",
        // (arithmetic inside Chr's own parentheses, three deep: `Chr(Asc(Mid(s, i, 1)) Xor k)`,
        // not after it closes: `InStr(Chr(0) & s, t) : p = IfThen(p = 0, -1, p - 1)`)
        r"chr[wb]?\s*\(\s*(?:\(\s*)*(?:[^\r\n()]|\((?:[^\r\n()]|\((?:[^\r\n()]|\([^\r\n()]*\))*\))*\))+(?:\bxor\b|[-+]\s*[0-9]|-\s*[a-z_(])",
        r"|asc[wb]?\s*\(\s*mid[b]?\s*\(",
        r"|strreverse\s*\(",
        r"|replace\s*\(\s*[a-z_]\w*\s*,\s*\x22[^\x22\r\n ]{1,4}\x22\s*,\s*\x22\x22\s*\)",
        // hex pairs turned into characters: Chr("&H" & Mid(s, i, 2))
        r"|chr[wb]?\s*\(\s*(?:c(?:lng|int|byte)\s*\(\s*)?\x22&h\x22\s*&",
        // a substitution alphabet: a character taken with Mid and looked up with InStr
        r"|mid[b]?\s*\([^()]*\)(?s:.{0,200})instr[b]?\s*\(",
        // an alphabet to pick from, and the picks: Execute(d(6)&d(10)&d(9)&…)
        r"|array\s*\(\s*(?:\x22[^\x22\r\n]{1,2}\x22\s*,\s*){12}",
        r"|(?:[a-z_]\w{0,10}\s*\(\s*[0-9]{1,3}\s*\)\s*&\s*){4}",
        // a base64 alphabet to look characters up in
        r"|abcdefghijklmnopqrstuvwxyz0123456789",
        // character codes as text, split apart again: \x2220B116B10B100B…\x22
        r"|\x22(?:[0-9]{1,3}[^0-9\x22\s]{1,2}){12}",
        r")"
    ))
    .unwrap()
});
/// Code hidden as data: a literal of 200 characters or more, [`CODE_DATA`], or request data.
static HIDDEN_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i-u)\x22[^\x22\r\n]{{200}}|{CODE_DATA_SRC}|{REQUEST_SRC}"
    ))
    .unwrap()
});
/// Code kept as encoded data: a base64 or hex literal of 60 characters or more, a list of 48
/// numbers or more, a literal of 12 character codes (`"60B37B32B…"`), or a literal of 40
/// characters or more appended to the name it is read from (`d = d & "…"`, a generator's text
/// spread over many lines).
static CODE_DATA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i-u){CODE_DATA_SRC}")).unwrap());
const CODE_DATA_SRC: &str = r"\x22[a-z0-9+/]{60}|(?:[0-9]{1,3}\s*,\s*){48}|\x22(?:[0-9]{2,3}[^0-9\x22\s]{1,2}){12}|^\s*[a-z_]\w*\s*&\s*\x22[^\x22\r\n]{40}";
/// An assignment: `x = …`, `Set x = …`, `var x = …`, `T x = …`, `x(i) = …`, `x["k"] = …`, `x &= …`
/// (group 1 the name, group 2 the value).
static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)^\s*(?:using\s*\(\s*)?(?:(?:public|private|protected|internal|static|readonly|shared)\s+)*(?:(?:set|dim|var|const|let|[a-z_][\w.]*(?:<[^>=]*>)?(?:\[\])?)\s+)?((?:[a-z_]|[\x80-\xff])(?:\w|[\x80-\xff])*)\s*(?:\((?:[^()=]|\([^()]*\))*\)|\[[^\[\]=]*\])?(?:\s+as\s+[a-z_][\w.]*(?:\s*\(\s*of\s[^()]*\))?(?:\s*\(\s*\))?)?\s*[+&]?=([^=].*)$",
    )
    .unwrap()
});
/// A further declarator of a declaration, after its comma: `b = y` of `T a = x, b = y;` (the
/// name in group 1; the match ends past the value's first byte).
static DECLARATOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)^\s*([a-z_]\w*)\s*=\s*[^=\s]").unwrap());
/// VB.NET's declaration of a new object, `Dim w As New StreamWriter(path)`: the name is defined
/// by what the object is made of. (A typed declaration with a value, `Dim c As String = x`, is
/// read by [`ASSIGN`].)
static VB_NEW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*(?:(?:dim|private|public|protected|friend|shared|static|readonly|using)\s+)+([a-z_]\w*)\s+as\s+(new\s+.+)$").unwrap()
});
/// A loop over a list: VBScript's `For Each x In list`, C#'s `foreach (T x in list)`.
/// A counted loop, VBScript's `For i = a To b`.
static FOR_COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)^\s*for\s+[a-z_]\w*\s*=.*\sto\s").unwrap());
static FOR_EACH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*(?:for\s+each|foreach\s*\(\s*(?:[a-z_][\w.<>\[\]]*\s+)?)\s*([a-z_]\w*)\s+in\s+(.+)$").unwrap()
});
/// A value stored into a collection (`d.Add k, v`, `d.Item(k) = v`) or handed to a request
/// object (`h.Open "GET", url`, `h.Send body`): the object is then defined by what it was given.
static STORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*([a-z_]\w*)\s*\.\s*(add|item|setitem|insert|push|open|send|setrequestheader)\b\s*\(?(.+)$").unwrap()
});
/// A name the page sets to a new ADODB recordset (`Set rs = Server.CreateObject("ADODB.Recordset")`):
/// its `Open sql, conn` runs the SQL, and what the recordset then holds are the database's rows,
/// not the text of the query (a page that fills a template from `rs("field")` after a query
/// built from the form evaluates no request data).
static NEW_RECORDSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)^\s*(?:server\s*\.\s*)?createobject\s*\(\s*["']adodb\.recordset(?:\.[0-9.]+)?["']\s*\)\s*$"#)
        .unwrap()
});
/// A query whose row is a string the page builds (`"select '" & x & "'"`, `"SELECT CAST('" + x`):
/// what the recordset then holds is that string, not the database's data.
static OWN_TEXT_QUERY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)\bselect\s+(?:top\s+\d+\s+)?(?:distinct\s+)?(?:[a-z_]+\s*\(\s*)*n?'\s*["']\s*[&+]"#).unwrap()
});
static FUNC_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)^\s*(?:(?:public|private)\s+)?(?:default\s+)?(?:function|sub|property\s+(?:let|set|get))\s+((?:[a-z_]|[\x80-\xff])(?:\w|[\x80-\xff])*)\s*(?:\(([^()]*)\))?",
    )
    .unwrap()
});
static FUNC_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)^\s*end\s+(?:function|sub|property)\b").unwrap());
static CS_METHOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)^[ \t]*(?:(?:public|private|protected|internal|static|override|virtual|async)\s+)*[\w<>\[\],.]+\s+([A-Za-z_]\w*)\s*\(([^()]*)\)\s*\{",
    )
    .unwrap()
});
static STATEMENT_KEYWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:if|while|for|foreach|switch|catch|using|lock|fixed|return|function)$").unwrap()
});
static JS_FUNCTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)\bfunction\s+([A-Za-z_]\w*)\s*\(([^()]*)\)\s*\{").unwrap());
/// A COM object the page created (`CreateObject`, `new ActiveXObject`, `GetObject`), whose
/// `Exec`/`Run`/`ShellExecute` may start a process.
static COM_OBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)createobject|activexobject|getobject|wscript\.shell|shell\.application")
        .unwrap()
});
static RECORDSET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i-u)recordset").unwrap());
static WMI_PROCESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)win32_process\b|winmgmts").unwrap());
/// A connection object the page created (not a recordset opened on one).
static CONNECTION_OBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)adodb\.connection|(?:sql|oledb|odbc)connection\s*\(").unwrap()
});
/// What the receiver of `x.Open …` must be for the call to name a connection: a connection, or a
/// recordset (whose second argument is then the connection).
static CONNECTION_OR_RECORDSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)connection|\.Connection\b|ActiveConnection|recordset").unwrap()
});
static HANDLER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)<%@\s*(?:webhandler|webservice)\b").unwrap());
static SERVER_SCRIPT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)<script\b[^>]*runat\s*=\s*[\x22']?server[^>]*>").unwrap());
static CLOSE_SCRIPT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i-u)</script\s*>").unwrap());
/// VBScript's `Execute` is a statement: a page that uses it as a value (`Set rs = Execute(sql)`,
/// `If Execute(…).Eof`) or defines it calls its own function of that name (a database helper).
static OWN_EXECUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)(?:^|[^.\w])(?:function|sub)[ \t]+execute\b|(?:=|\b(?:if|not|and|or|while|until))\s*execute\s*\(|(?:^|[^.\w])execute\s*\([^\r\n]*\)\s*\.\s*(?:eof|bof|fields|recordcount|getrows|movenext)\b").unwrap()
});
/// SQL handed to `Execute(…)`: no VBScript statement starts so (a database helper named
/// `Execute`).
static SQL_LITERAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*\(?\s*\x22\s*(?:select\s+(?:\*|top\s|distinct\s|count\s*\(|[\w\[\].]+\s*(?:,|\s+from\s))|update\s+\S+\s+set\s|insert\s+into\s|delete\s+(?:from\s|\[)|create\s+(?:table|index|view)\s|drop\s+(?:table|index|view)\s|alter\s+table\s)").unwrap()
});
/// `Execute "call bill_Window_" & k & "(ap)"`: a call of one of the page's own procedures, the
/// one whose name ends as the request says (a dispatcher, not a shell's statement).
static DISPATCH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i-u)^\s*\(?\s*"\s*call\s+[a-z_]\w*_"\s*&"#).unwrap());
/// `'vtbl.' + name + '(' …`: the text of a call of a member, by name, of a named object.
static MEMBER_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)^\s*['"][a-z_][\w.]*\.['"]\s*\+\s*([a-z_]\w*)\s*\+\s*['"]\(['"]"#).unwrap()
});
/// `eval(…)` whose value is used as a regular expression: `eval(r).test(`, `.exec(`.
static REGEX_USE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^eval\s*\((?:[^()]|\([^()]*\))*\)\s*\.\s*(?:test|exec)\s*\(").unwrap()
});
/// `s.match(eval(`, `.replace(`, `.search(`, `.split(`: the `eval` handed to a string's
/// regular-expression method.
static REGEX_USE_BEFORE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)\.\s*(?:match|replace|search|split)\s*\(\s*$").unwrap());
/// The argument of `eval(…)` (one level of nested parentheses).
static EVAL_ARG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)^eval\s*\(((?:[^()]|\([^()]*\))*)\)").unwrap());
/// A text that starts as a regex literal: `"/…`, `'/…` (`"/(" + a + ")/"`), and is nothing
/// else: no statement separator outside its literals.
static REGEX_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i-u)^["']/[^;\r\n]*$"#).unwrap());
static NUMBER_EVAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i-u)^\s*\(\s*"&[ho]"\s*&"#).unwrap());
static ONE_LINE_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)\bend\s+(?:function|sub|property)\s*$").unwrap());
static THEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i-u)\sthen\s").unwrap());
/// A name: ASCII, or in a page's own code page (VBScript takes `密码 = Request("x")` on a Chinese
/// server; such bytes are all ≥ 0x80 in UTF-8, GB2312, Big5 and Shift-JIS).
static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)(?:[A-Za-z_]|[\x80-\xff])(?:\w|[\x80-\xff])*").unwrap());

/// The names under which the page keeps a session value, from what follows the word `Session`
/// (`("cs") = …`, `["q"]`): the session is shared by the pages of an application, so a value
/// the request reaches only through the session is one this page stored. A value stored
/// under a literal key is kept under `session("key")` and `session(*)`; one stored under a
/// computed key under `session`. A read of a literal key (`store` false) reaches the first
/// and the last, a read of a computed key the last two. The `Application` object is kept the
/// same way under its own names (`store_name`, lower case): an online list the login page
/// appends the user to is not the connection string `global.asa` put beside it.
fn session_keys(store_name: &[u8], after: &[u8], store: bool) -> Vec<Vec<u8>> {
    let literal = SESSION_KEY
        .captures(after)
        .and_then(|c| c.get(1))
        .map(|k| k.as_bytes().to_ascii_lowercase());
    if literal.is_none() && !SESSION_KEY.is_match(after) {
        // `Session.SessionID`, `Session.Abandon`, `Application.Lock`: no value; any other
        // member (`Application.Contents`, `.Get("k")`, `.Contents.Item("k")`) reads the store
        if NO_VALUE_MEMBER.is_match(after) {
            return Vec::new();
        }
        return if store {
            vec![store_name.to_vec()]
        } else {
            vec![[store_name, b"(*)"].concat(), store_name.to_vec()]
        };
    }
    let n = store_name;
    match (literal, store) {
        (Some(k), true) => vec![[n, b"(\"", &k[..], b"\")"].concat(), [n, b"(*)"].concat()],
        (None, true) => vec![n.to_vec()],
        (Some(k), false) => vec![[n, b"(\"", &k[..], b"\")"].concat(), n.to_vec()],
        (None, false) => vec![[n, b"(*)"].concat(), n.to_vec()],
    }
}

/// The names a text reads: its words, except those inside a literal of more than 64 bytes.
/// A short literal may be a fragment of generated code that names a variable
/// (`c = s & "(s_e5)"` … `ExecuteGlobal c`); a long one is text the page builds (the script of
/// `AddCode "var t=null;function get(arr, i){…}"`, markup, SQL), and its words are not names.
fn names(text: &[u8]) -> impl Iterator<Item = regex::bytes::Match<'_>> {
    let mut quotes = memchr::memchr_iter(b'"', text).peekable();
    // the end of the long literal the words are in, if they are in one
    let mut long_until = 0;
    WORD.find_iter(text).filter(move |w| {
        while let Some(open) = quotes.next_if(|&q| q < w.start()) {
            let close = quotes.next().unwrap_or(text.len());
            if close - open > 65 {
                long_until = close;
            }
        }
        w.start() > long_until || long_until == 0
    })
}

/// A name in its scope, and the texts (each with the scope its names resolve in) defining it.
type Defs = HashMap<(usize, Vec<u8>), Vec<(Range<usize>, usize)>>;

/// A procedure's parameter names, and the scope they live in.
type Procedure = (Vec<Vec<u8>>, usize);

/// The names a check has already expanded, with the fewest steps from a sink they were reached in.
type Memo = HashMap<(usize, Vec<u8>), usize>;

/// One page cut into statements, with every name's definitions. Names are scoped: a name
/// assigned inside a VBScript `Function`/`Sub` is that procedure's own (scope = its index + 1),
/// and is looked up there before the page's global scope 0. Procedure names are global.
struct Page<'a> {
    data: &'a [u8],
    statements: Vec<(Range<usize>, usize)>,
    defs: Defs,
    /// A bound of the reading was reached (definitions, bodies, parameters): what it did not
    /// read could hold the path, so every check holds.
    saturated: bool,
    /// Where the server's code is, when the page mixes it with markup (see [`server_code`]).
    server: Option<Vec<Range<usize>>>,
    /// Where the page declares HTML inputs that run at the server, [`REQUEST_OR_BOX`] with
    /// their values (`cmd.Value` of `<input id="cmd" runat="server">`) as request data too.
    controls: Option<Regex>,
    /// An ASP.NET page in C# or VB, where `Eval` is data binding (see [`NET_NO_EVAL`]): its
    /// directive opens the page, and nothing in it names JScript.
    binds_eval: bool,
    /// Where the page imports a process API under a name of its own, [`PROC_SINK`] with that
    /// name's calls too (see [`process_aliases`]).
    proc_sink: Option<Regex>,
}

impl<'a> Page<'a> {
    fn read(data: &'a [u8]) -> Self {
        // (code in a `/* … */` comment runs nothing: its statements and procedures are left out)
        let server = server_code(data);
        let comments = block_comments(data, server.as_deref());
        let commented = |r: &Range<usize>| {
            comments
                .iter()
                .any(|c| c.start <= r.start && r.end <= c.end)
        };
        let cut: Vec<_> = statements(data)
            .into_iter()
            .filter(|st| !commented(st))
            .collect();
        let mut statements = Vec::with_capacity(cut.len());
        let mut defs: Defs = HashMap::new();
        let mut ndefs = 0usize;
        let mut saturated = false;
        let mut open_fn: Option<(Vec<u8>, usize, usize)> = None;
        let mut procs = 0usize;
        // Procedures with their parameters and the scope those live in.
        // (a list per name: `Property Let p(v)` and `Property Get p()`, or a method of the same
        // name in two classes, are each bound)
        let mut params: HashMap<Vec<u8>, Vec<Procedure>> = HashMap::new();
        // (a name is a recordset where every assignment of the page's statements makes it one;
        // read only on pages that name a recordset at all)
        let mut recordsets: HashSet<Vec<u8>> = HashSet::new();
        let mut others: HashSet<Vec<u8>> = HashSet::new();
        // (…unless the page selects the caller's own text, `select '" & Request("c") & "'`:
        // then the rows are that text)
        let assigned: &[Range<usize>] =
            if RECORDSET.is_match(data) && !OWN_TEXT_QUERY.is_match(data) {
                &cut
            } else {
                &[]
            };
        for st in assigned {
            let text = &data[st.clone()];
            if let Some(c) = ASSIGN.captures(text) {
                let name = c[1].to_ascii_lowercase();
                let value = c[2].trim_ascii();
                if NEW_RECORDSET.is_match(value) {
                    recordsets.insert(name);
                } else if !value.eq_ignore_ascii_case(b"nothing")
                    && !value.eq_ignore_ascii_case(b"null")
                {
                    // (`Set rs = Nothing` releases it)
                    others.insert(name);
                }
            }
        }
        recordsets.retain(|n| !others.contains(n));
        for st in cut {
            let text = &data[st.clone()];
            if let Some((name, start, fscope)) = &open_fn {
                if may_end_procedure(text) && FUNC_END.is_match(text) {
                    add(
                        &mut defs,
                        &mut ndefs,
                        (0, name.clone()),
                        (*start..st.start, *fscope),
                    );
                    open_fn = None;
                    continue;
                }
            }
            // A VBScript procedure header (a JScript `function f(x) {` is read with the braces
            // below); VBScript procedures do not nest, so a header closes one left open.
            let vbs_header = may_start_procedure(text)
                && data[st.end..]
                    .iter()
                    .find(|b| !b.is_ascii_whitespace())
                    .is_none_or(|&b| b != b'{');
            if let Some(c) = vbs_header.then(|| FUNC_START.captures(text)).flatten() {
                if let Some((name, start, fscope)) = open_fn.take() {
                    add(&mut defs, &mut ndefs, (0, name), (start..st.start, fscope));
                }
                procs += 1;
                let list = c.get(2).map_or(&[][..], |m| m.as_bytes());
                saturated |= list.split(|&b| b == b',').count() > MAX_PARAMS;
                params
                    .entry(c[1].to_ascii_lowercase())
                    .or_default()
                    .push((param_names(list), procs));
                // `Function f(s) eval s End Function` on one line: the body is the rest of the
                // statement, and its sink a statement of the procedure's scope
                let body = st.start + c.get(0).expect("group 0").end()..st.end;
                if ONE_LINE_END.is_match(&data[body.clone()]) {
                    add(
                        &mut defs,
                        &mut ndefs,
                        (0, c[1].to_ascii_lowercase()),
                        (body, procs),
                    );
                    statements.push((st, procs));
                } else {
                    open_fn = Some((c[1].to_ascii_lowercase(), st.end, procs));
                }
                continue;
            }
            let scope = open_fn.as_ref().map_or(0, |f| f.2);
            // A session value stored anywhere in the statement (`If c Then Session("k") = v`,
            // `if (c) HttpContext.Current.Session["k"] = v;`, `Session.Contents("k") = v`),
            // kept for the whole page under its key (see [`session_keys`]).
            if memchr::memchr(b'=', text).is_some() {
                for c in SESSION_STORE.captures_iter(text) {
                    let store_name = c[1].to_ascii_lowercase();
                    let (key, value) = (c.get(2).expect("group 2"), c.get(3).expect("group 3"));
                    let def = (st.start + value.start()..st.start + value.end(), scope);
                    for k in session_keys(&store_name, key.as_bytes(), true) {
                        add(&mut defs, &mut ndefs, (0, k), def.clone());
                    }
                }
            }
            // (a keyed store is written above; `by_method`: a value handed to a store's method,
            // `Session.Add k, v`, is kept under a key the reading does not parse, which every
            // read of the store reaches)
            let mut define = |name: &[u8], r: Range<usize>, by_method: bool| {
                let name = name.to_ascii_lowercase();
                let def = (st.start + r.start..st.start + r.end, scope);
                if !is_store(&name) {
                    add(&mut defs, &mut ndefs, (scope, name), def);
                } else if by_method {
                    add(&mut defs, &mut ndefs, (0, name), def);
                }
            };
            // `For Each x In list`, `foreach (var x in list)`: the loop's variable is defined
            // by its list
            if let Some(c) = FOR_EACH.captures(text) {
                let (name, list) = (c.get(1).unwrap(), c.get(2).unwrap());
                define(name.as_bytes(), list.range(), false);
            }
            if let Some(c) = VB_NEW.captures(text) {
                let (name, value) = (c.get(1).unwrap(), c.get(2).unwrap());
                define(name.as_bytes(), value.range(), false);
            }
            let has_eq = memchr::memchr(b'=', text).is_some();
            if !has_eq && memchr::memchr(b'.', text).is_none() {
                statements.push((st, scope));
                continue;
            }
            if let Some(c) = STORE.captures(text) {
                let (name, method, args) =
                    (c.get(1).unwrap(), c.get(2).unwrap(), c.get(3).unwrap());
                let rows = method.as_bytes().eq_ignore_ascii_case(b"open")
                    && recordsets.contains(&name.as_bytes().to_ascii_lowercase());
                if !rows {
                    define(name.as_bytes(), args.range(), true);
                }
            }
            // (a counted loop's variable is a number: `For i = 0 To UBound(parts)`)
            if let Some(c) = (has_eq && !FOR_COUNT.is_match(text))
                .then(|| ASSIGN.captures(text))
                .flatten()
            {
                let (name, rhs) = (c.get(1).unwrap(), c.get(2).unwrap());
                // `T a = x, b = y;`, `var a = x, b = y`: each declarator its own value
                let first = first_arg(rhs.as_bytes());
                let mut off = rhs.start() + first.len();
                if text.get(off) == Some(&b',') && DECLARATOR.is_match(&text[off + 1..]) {
                    define(name.as_bytes(), rhs.start()..off, false);
                    while let Some(d) = DECLARATOR.captures(&text[off + 1..]) {
                        // (the match ends past the value's first byte)
                        let at = off + d.get(0).expect("group 0").end();
                        let value = first_arg(&text[at..]);
                        define(&d[1], at..at + value.len(), false);
                        off = at + value.len();
                        if text.get(off) != Some(&b',') {
                            break;
                        }
                    }
                } else {
                    // (a call whose arguments go on below the line, one per line, is read to
                    // its end)
                    let end = continued(data, st.start + rhs.start(), st.start + rhs.end());
                    define(name.as_bytes(), rhs.start()..end - st.start, false);
                }
            }
            // `If cond Then x = …` on one line: the assignment after `Then`.
            if let Some(then) = has_eq.then(|| THEN.find(text)).flatten() {
                let tail = &text[then.end()..];
                if let Some(c) = ASSIGN.captures(tail) {
                    let (name, rhs) = (c.get(1).unwrap(), c.get(2).unwrap());
                    let off = then.end();
                    define(name.as_bytes(), off + rhs.start()..off + rhs.end(), false);
                }
            }
            statements.push((st, scope));
        }
        if let Some((name, start, fscope)) = open_fn {
            add(
                &mut defs,
                &mut ndefs,
                (0, name),
                (start..data.len(), fscope),
            );
        }
        // C# methods and JScript functions: the body (braces matched) defines the name; their
        // statements stay in the global scope.
        // (The fast search finds each header; the capture groups are read on the header alone:
        // a capturing search over the whole page is far slower.)
        let mut headers = Vec::new();
        // (a JScript `function f(x) {` reads as both kinds of header: one body per brace)
        let mut opened = std::collections::HashSet::new();
        for re in [&*CS_METHOD, &*JS_FUNCTION] {
            for m in re.find_iter(data) {
                if headers.len() == MAX_BODIES {
                    saturated = true;
                    break;
                }
                if !opened.insert(m.end() - 1) || commented(&(m.start()..m.end())) {
                    continue;
                }
                if let Some(c) = re.captures(m.as_bytes()) {
                    // a method needs no modifier in a page's script block, so `else if (x) {`
                    // reads like a header: a keyword is no method name
                    if STATEMENT_KEYWORD.is_match(&c[1]) {
                        continue;
                    }
                    let list = c.get(2).map_or(&[][..], |m| m.as_bytes());
                    saturated |= list.split(|&b| b == b',').count() > MAX_PARAMS;
                    headers.push((c[1].to_ascii_lowercase(), param_names(list), m.end() - 1));
                }
            }
        }
        let ends = block_ends(data, headers.iter().map(|h| h.2));
        for ((name, names, open), end) in headers.into_iter().zip(ends) {
            params.entry(name.clone()).or_default().push((names, 0));
            add(&mut defs, &mut ndefs, (0, name), (open..end, 0));
        }
        // A call hands its arguments to the procedure's parameters: `run(t)` defines `x` of
        // `function run(x)` by `t`. Every parameter is defined by the whole argument text, and
        // where the call has as many arguments as the procedure parameters, each also by its own
        // (`Save(Request["p"], data)`: `p` is a request value as a whole).
        if !params.is_empty() {
            for (st, scope) in &statements {
                let text = &data[st.clone()];
                for w in WORD.find_iter(text) {
                    let Some(procs) = params.get(&w.as_bytes().to_ascii_lowercase()) else {
                        continue;
                    };
                    let args = st.start + w.end()..st.end;
                    let rest = &data[args.clone()];
                    let parts = match rest.trim_ascii_start().strip_prefix(b"(") {
                        Some(inner) => call_parts(inner),
                        None => call_parts(rest),
                    };
                    for (names, fscope) in procs {
                        let own = names.len() == parts.len()
                            && parts.iter().all(|p| !p.trim_ascii().is_empty());
                        for (i, p) in names.iter().enumerate() {
                            let def = (args.clone(), *scope);
                            add(&mut defs, &mut ndefs, (*fscope, p.clone()), def);
                            if own {
                                // (a part of `data`: its offset from the page's start)
                                let start = parts[i].as_ptr() as usize - data.as_ptr() as usize;
                                let def = (start..start + parts[i].len(), *scope);
                                add(&mut defs, &mut ndefs, (*fscope, p.clone()), def);
                            }
                        }
                    }
                }
            }
        }
        saturated |= ndefs >= MAX_DEFS;
        Page {
            data,
            statements,
            defs,
            saturated,
            server,
            controls: server_controls(data),
            proc_sink: process_aliases(data),
            binds_eval: NET_NO_EVAL.is_match(data) && !JSCRIPT_LANGUAGE.is_match(data),
        }
    }

    /// Is the `eval` at `at` of the statement `text` the building of a regular expression: its
    /// value used as one (`eval(r).test(s)`, `.exec(`, `s.match(eval(r))`, `.replace(`,
    /// `.search(`, `.split(`), and the text it evaluates a regex literal (`"/…"`), directly or
    /// in a definition of the one name it is given?
    fn regex_eval(&self, text: &[u8], at: usize, scope: usize) -> bool {
        let used = REGEX_USE_AFTER.is_match(&text[at..]) || REGEX_USE_BEFORE.is_match(&text[..at]);
        if !used {
            return false;
        }
        let Some(arg) = EVAL_ARG.captures(&text[at..]).and_then(|c| c.get(1)) else {
            return false;
        };
        let arg = arg.as_bytes().trim_ascii();
        if REGEX_TEXT.is_match(arg) {
            return true;
        }
        let Some(c) = ONE_NAME.captures(arg) else {
            return false;
        };
        let key = self.key(scope, c[1].to_ascii_lowercase());
        // (any one: a parameter is defined by the arguments of every call too)
        self.defs.get(&key).is_some_and(|defs| {
            defs.iter()
                .any(|(r, _)| REGEX_TEXT.is_match(self.data[r.clone()].trim_ascii()))
        })
    }

    /// The keys a word of `text` reads: its name in `scope` (see [`Page::key`]), or for the word
    /// `Session`, the session values its key may name (see [`session_keys`]).
    fn keys_read(
        &self,
        text: &[u8],
        w: regex::bytes::Match<'_>,
        scope: usize,
    ) -> Vec<(usize, Vec<u8>)> {
        let name = w.as_bytes().to_ascii_lowercase();
        if is_store(&name) {
            return session_keys(&name, &text[w.end()..], false)
                .into_iter()
                .map(|k| (0, k))
                .collect();
        }
        vec![self.key(scope, name)]
    }

    /// The definitions of `name` read in `scope` (see [`Page::key`]), each with the scope its
    /// names resolve in.
    fn defs_of(&self, name: &[u8], scope: usize) -> impl Iterator<Item = &(Range<usize>, usize)> {
        self.defs
            .get(&self.key(scope, name.to_ascii_lowercase()))
            .into_iter()
            .flatten()
    }

    /// The key of `name` read in `scope`: the scope's own name where it defines one, else the
    /// page's global one.
    fn key(&self, scope: usize, name: Vec<u8>) -> (usize, Vec<u8>) {
        if self.defs.contains_key(&(scope, name.clone())) {
            (scope, name)
        } else {
            (0, name)
        }
    }

    /// Is `src` a stream of what the caller sent, or of an upload: `Request.InputStream`,
    /// `Request.GetBufferlessInputStream()`, `f.InputStream` of an upload, or a name defined as
    /// one of these?
    fn body_stream(&self, src: &[u8], scope: usize) -> bool {
        match BODY_STREAM.find(src) {
            Some(m) => {
                let owner = src[..m.start()].trim_ascii_end();
                ENDS_REQUEST.is_match(owner)
                    || POSTED_FILE.is_match(owner)
                    || self.is_upload(owner, scope)
            }
            None => self.defined_as(src, scope, &BODY_DEF),
        }
    }

    /// Is `x` a buffer the page fills from such a stream as it is (`s.Read(x, 0, n)` of a
    /// [`Page::body_stream`]): the caller's body or file, byte for byte?
    fn body_buffer(&self, x: &[u8], scope: usize) -> bool {
        let Some(name) = ONE_NAME.captures(x) else {
            return false;
        };
        self.statements.iter().any(|(st, st_scope)| {
            READ_INTO.captures(&self.data[st.clone()]).is_some_and(|c| {
                c[2].eq_ignore_ascii_case(&name[1])
                    && (*st_scope == scope || *st_scope == 0)
                    && self.body_stream(c[1].trim_ascii(), *st_scope)
            })
        })
    }

    /// Is `x` an upload: `Request.Files[0]`, `x.PostedFile`, the bare `PostedFile`, or a name
    /// defined as one of these?
    fn is_upload(&self, x: &[u8], scope: usize) -> bool {
        UPLOAD_SRC.is_match(x)
            || x.eq_ignore_ascii_case(b"postedfile")
            || self.defined_as(x, scope, &UPLOAD_SRC)
    }

    /// Does the SQL `arg` (of scope `scope`) run, through `xp_cmdshell` or `sp_OAMethod`, a
    /// parameter of the statement (`@c`) that the page binds to what the caller typed
    /// (`Parameters.AddWithValue("@c", x)`, `Parameters["@c"].Value = x`, `new SqlParameter("@c",
    /// x)` added to the command, ADO's `CreateParameter("@c", …, x)`), or is the command the
    /// procedure itself (`"master..xp_cmdshell"` run as a stored procedure) with any parameter so
    /// bound? (The bindings are read over the page, not per command.)
    fn shell_sql_param(&self, arg: &[u8], scope: usize, typed: &Regex, budget: &mut usize) -> bool {
        let mut names = Vec::new();
        for (st, st_scope) in &self.statements {
            let text = &self.data[st.clone()];
            let Some(c) = SQL_PARAM.captures(text) else {
                continue;
            };
            let value = [2, 4, 6, 8, 10, 11].iter().find_map(|&i| c.get(i));
            let named = [1, 3, 5, 9].iter().find_map(|&i| c.get(i));
            let names_of: Vec<String> = match (named, c.get(7), c.get(11)) {
                (Some(n), _, _) => vec![regex::escape(&String::from_utf8_lossy(n.as_bytes()))],
                // (the object's name from its definitions: `new SqlParameter("@c", …)`)
                (_, Some(obj), _) => self
                    .defs_of(obj.as_bytes(), *st_scope)
                    .filter_map(|(r, _)| PARAM_OBJECT.captures(&self.data[r.clone()]))
                    .map(|p| regex::escape(&String::from_utf8_lossy(&p[1])))
                    .collect(),
                (_, _, Some(_)) => vec![r"\w+".to_owned()],
                _ => continue,
            };
            let Some(value) = value else {
                continue;
            };
            if names_of.is_empty() {
                continue;
            }
            if self
                .slice_has_all(
                    value.as_bytes(),
                    *st_scope,
                    &[typed],
                    MAX_DEPTH,
                    &mut Memo::new(),
                    budget,
                )
                .unwrap_or(true)
            {
                names.extend(names_of);
            }
            if names.len() >= 20 {
                break;
            }
        }
        if names.is_empty() {
            return false;
        }
        // (a variable of the statement set from a bound one, `set @x = @c`, holds the same)
        if let Ok(copy) = Regex::new(&format!(
            r"(?i-u)\b(?:set|select)\s+@(\w+)\s*=\s*@(?:{})\b",
            names.join("|")
        )) {
            let copies: Vec<String> = copy
                .captures_iter(self.data)
                .take(20)
                .map(|c| regex::escape(&String::from_utf8_lossy(&c[1])))
                .collect();
            names.extend(copies);
        }
        // (a positional `?` takes whichever is bound; `sp_configure 'xp_cmdshell', @v` names the
        // option, not a command; the procedure
        // itself as the command's text, `new SqlCommand("master..xp_cmdshell")` of type
        // `StoredProcedure`, takes its command as a parameter)
        let Ok(run) = Regex::new(&format!(
            r#"(?i-u)(?:^|[^'\w])xp_cmdshell\s+(?:@(?:{0})\b|\?)|\bsp_oamethod\b[^;\r\n]{{0,80}}@(?:{0})\b|"(?:\[?master\]?\s*\.\s*(?:\[?dbo\]?)?\s*\.\s*)?\[?xp_cmdshell\]?""#,
            names.join("|")
        )) else {
            return false;
        };
        self.slice_has_all(arg, scope, &[&run], MAX_DEPTH, &mut Memo::new(), budget)
            .unwrap_or(true)
    }

    /// Does the page pass the document `name` to MSXML's `transformNode` as the stylesheet (or
    /// make it an `XSLTemplate`'s), itself or a copy of it (`Set b = a` … `transformNode(b)`)?
    fn stylesheet(&self, name: &[u8]) -> bool {
        TRANSFORM_ARG.captures_iter(self.data).any(|c| {
            c.get(1).or_else(|| c.get(2)).is_some_and(|m| {
                let t = m.as_bytes();
                t.eq_ignore_ascii_case(name)
                    || self
                        .defs
                        .iter()
                        .filter(|((_, k), _)| k.eq_ignore_ascii_case(t))
                        .flat_map(|(_, defs)| defs)
                        .any(|(r, _)| {
                            ONE_NAME
                                .captures(&self.data[r.clone()])
                                .is_some_and(|n| n[1].eq_ignore_ascii_case(name))
                        })
            })
        })
    }

    /// Is `arg` (what follows an `eval`) one name, every definition of which builds a call of
    /// a member of a named object (`'vtbl.' + name + '(' + params + ')'`)?
    fn member_dispatch(&self, arg: &[u8], scope: usize) -> bool {
        let Some(c) = ONE_NAME.captures(first_arg(arg)) else {
            return false;
        };
        let name = c[1].to_ascii_lowercase();
        let key = self.key(scope, name);
        // every definition is such a call, with no request data but in literals after the name
        // (the parameters' text), and the page checks the name against the object's members
        // (`typeof(vtbl[name])`) before it runs it
        self.defs.get(&key).is_some_and(|defs| {
            !defs.is_empty()
                && defs.iter().all(|(r, _)| {
                    let def = &self.data[r.clone()];
                    let Some(c) = MEMBER_CALL.captures(def) else {
                        return false;
                    };
                    let rest = strip_literals(&def[c.get(0).expect("group 0").end()..]);
                    let guard = format!(
                        r"(?i-u)typeof\s*\(\s*[a-z_][\w.]*\s*\[\s*{}\s*\]\s*\)\s*[!=]=",
                        regex::escape(&String::from_utf8_lossy(&c[1]))
                    );
                    !REQUEST.is_match(&rest)
                        && !CALLER.is_match(&rest)
                        && Regex::new(&guard).is_ok_and(|g| g.is_match(self.data))
                })
        })
    }

    /// How many bytes of the page are server code (markup padding holds no names).
    fn code_len(&self) -> usize {
        self.server.as_ref().map_or(self.data.len(), |regions| {
            regions.iter().map(|r| r.len()).sum()
        })
    }

    /// Is the byte at `pos` server code (not markup or a browser script)?
    fn is_server(&self, pos: usize) -> bool {
        self.server.as_ref().is_none_or(|regions| {
            let i = regions.partition_point(|r| r.end <= pos);
            regions.get(i).is_some_and(|r| r.start <= pos)
        })
    }

    /// Is `name` (in `scope`) defined by a text in which `pattern` occurs?
    fn defined_as(&self, name: &[u8], scope: usize, pattern: &Regex) -> bool {
        let name = name.to_ascii_lowercase();
        [(scope, name.clone()), (0, name)]
            .iter()
            .filter_map(|k| self.defs.get(k))
            .flatten()
            .any(|(r, _)| pattern.is_match(&self.data[r.clone()]))
    }

    /// The paths a stream named `name` writes to: the path argument of the call that opened it
    /// (`Set f = fso.CreateTextFile(p)`, `new StreamWriter(p)`, also in a C# `using (…)` or a
    /// VB `Dim f As New StreamWriter(p)`), or, for an ADODB stream, of its `SaveToFile`.
    fn stream_paths(&self, name: &[u8], scope: usize) -> Vec<&'a [u8]> {
        let lower = name.to_ascii_lowercase();
        let mut out = Vec::new();
        let mut adodb = false;
        let defs = [(scope, lower.clone()), (0, lower)];
        for (r, _) in defs.iter().filter_map(|k| self.defs.get(k)).flatten() {
            let def = &self.data[r.clone()];
            adodb |= ADODB_STREAM.is_match(def);
            if let Some(c) = STREAM_OPEN.captures(def) {
                if let Some(m) = (1..c.len()).find_map(|i| c.get(i)) {
                    out.push(&def[m.start()..m.end()]);
                }
            }
        }
        let name = regex::escape(&String::from_utf8_lossy(name));
        if out.is_empty() && !adodb && STREAM_CTOR.is_match(self.data) {
            // a definition the reading of assignments does not take
            let Ok(opened) = Regex::new(&format!(
                r"(?i-u)\b{name}\s*(?:=|\bas\s+new\b)\s*(?:new\s+)?[^\r\n;]*?\b(?:streamwriter|filestream)\s*\(([^\r\n]+)"
            )) else {
                return out;
            };
            if let Some(m) = opened.captures(self.data).and_then(|c| c.get(1)) {
                out.push(m.as_bytes());
            }
        }
        if adodb {
            let Ok(save) = Regex::new(&format!(
                r"(?i-u)\b{name}\s*\.\s*savetofile\b\s*\(?([^\r\n]+)"
            )) else {
                return out;
            };
            out.extend(
                save.captures_iter(self.data)
                    .filter_map(|c| c.get(1))
                    .map(|m| m.as_bytes()),
            );
        }
        out
    }

    /// Is `expr` request data as a whole (`whole`: [`WHOLE_REQUEST`] or [`WHOLE_CALLER`]), or a
    /// name (perhaps trimmed) one of whose definitions is, a copy at a time up to [`MAX_DEPTH`]
    /// copies away? Unlike a slice, this does not look into the parts of a value built by
    /// concatenation.
    /// Past the budget (a page built to exhaust the reading) it holds.
    fn whole_request(
        &self,
        whole: &Regex,
        expr: &[u8],
        scope: usize,
        seen: &mut Memo,
        budget: &mut usize,
    ) -> bool {
        let mut todo = vec![(expr, scope, 0usize)];
        while let Some((text, scope, depth)) = todo.pop() {
            let Some(left) = budget.checked_sub(text.len()) else {
                return true;
            };
            *budget = left;
            if whole.is_match(text) {
                return true;
            }
            if depth >= MAX_DEPTH {
                continue;
            }
            let keys = if let Some(c) = ONE_NAME.captures(text) {
                vec![self.key(scope, c[1].to_ascii_lowercase())]
            } else if let Some(c) = ONE_SESSION.captures(text) {
                let m = c.get(1).expect("group 1");
                let len = WORD.find(m.as_bytes()).map_or(0, |w| w.end());
                let store_name = m.as_bytes()[..len].to_ascii_lowercase();
                session_keys(&store_name, &text[m.start() + len..], false)
                    .into_iter()
                    .map(|k| (0, k))
                    .collect()
            } else {
                continue;
            };
            for key in keys {
                if seen.insert(key.clone(), depth).is_some() {
                    continue;
                }
                for (r, def_scope) in self.defs.get(&key).into_iter().flatten() {
                    todo.push((&self.data[r.clone()], *def_scope, depth + 1));
                }
            }
        }
        false
    }

    /// Does each of `patterns` occur in `expr` (a text of scope `scope`) or in the definitions
    /// it reaches?
    fn slice_has_all(
        &self,
        expr: &[u8],
        scope: usize,
        patterns: &[&Regex],
        max_depth: usize,
        memo: &mut Memo,
        budget: &mut usize,
    ) -> Option<bool> {
        let mut found = vec![false; patterns.len()];
        let mut note = |text: &[u8]| {
            for (f, p) in found.iter_mut().zip(patterns) {
                if !*f && p.is_match(text) {
                    *f = true;
                }
            }
            found.iter().all(|&f| f)
        };
        *budget = budget.checked_sub(expr.len())?;
        if note(expr) {
            return Some(true);
        }
        let mut todo: Vec<(&[u8], usize, usize)> = vec![(expr, scope, 0)];
        let mut size = expr.len();
        while let Some((text, scope, depth)) = todo.pop() {
            // (what a file holds is not what the request carried, even where the session
            // named the file: an include engine's `content = f.ReadAll`; but a file the
            // request itself names may be the caller's upload, run by a loader)
            if depth >= max_depth {
                continue;
            }
            if let Some(c) = FILE_CONTENT.captures(text) {
                let name = c[1].to_ascii_lowercase();
                let key = self.key(scope, name);
                let named_by_caller = self.defs.get(&key).into_iter().flatten().any(|(r, s)| {
                    self.slice_has_all(
                        &self.data[r.clone()],
                        *s,
                        &[&CALLER],
                        2,
                        &mut Memo::new(),
                        &mut 1_000_000,
                    ) != Some(false)
                });
                if !named_by_caller {
                    continue;
                }
            }
            for key in names(text).flat_map(|w| self.keys_read(text, w, scope)) {
                let Some(defs) = self.defs.get(&key) else {
                    continue;
                };
                match memo.get(&key) {
                    Some(&d) if d <= depth => continue,
                    _ => {
                        memo.insert(key, depth);
                    }
                }
                for (r, def_scope) in defs {
                    let def = &self.data[r.clone()];
                    *budget = budget.checked_sub(def.len())?;
                    if note(def) {
                        return Some(true);
                    }
                    size += def.len();
                    if size > MAX_SLICE {
                        return None;
                    }
                    todo.push((def, *def_scope, depth + 1));
                }
            }
        }
        Some(false)
    }
}

/// The server's code in a page that mixes it with markup: its `<% … %>` blocks and the bodies of
/// its `<script runat="server">` elements (each to the end of the page when left open). `None`
/// when the whole page is code: no delimiters at all (a code-behind file, a script include), or
/// a handler or web service, whose code follows its `<%@ … %>` directive.
fn server_code(data: &[u8]) -> Option<Vec<Range<usize>>> {
    if HANDLER.is_match(data) {
        return None;
    }
    let mut regions: Vec<Range<usize>> = memchr::memmem::find_iter(data, b"<%")
        .map(|open| {
            let end =
                memchr::memmem::find(&data[open + 2..], b"%>").map_or(data.len(), |e| open + 2 + e);
            open..end
        })
        .collect();
    for m in SERVER_SCRIPT.find_iter(data) {
        let end = CLOSE_SCRIPT
            .find_at(data, m.end())
            .map_or(data.len(), |e| e.start());
        regions.push(m.end()..end);
    }
    if regions.is_empty() {
        return None;
    }
    regions.sort_by_key(|r| r.start);
    // blocks inside an open-ended one fold into it
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(regions.len());
    for r in regions {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    Some(merged)
}

/// One more definition, unless the page already has [`MAX_DEFS`].
fn add(defs: &mut Defs, ndefs: &mut usize, key: (usize, Vec<u8>), def: (Range<usize>, usize)) {
    if *ndefs < MAX_DEFS {
        *ndefs += 1;
        defs.entry(key).or_default().push(def);
    }
}

/// Does `text` start with the word `word` (any case)?
fn is_word(text: &[u8], word: &[u8]) -> bool {
    text.len() >= word.len()
        && text[..word.len()].eq_ignore_ascii_case(word)
        && text
            .get(word.len())
            .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
}

/// Could `text` open a VBScript procedure (`Function`, `Sub`, a class's `Property Let/Set/Get`)?
/// A cheap test before the regex.
fn may_start_procedure(text: &[u8]) -> bool {
    let mut t = text.trim_ascii_start();
    for access in [&b"public"[..], b"private", b"default"] {
        let n = access.len();
        if t.len() > n && t[..n].eq_ignore_ascii_case(access) && t[n].is_ascii_whitespace() {
            t = t[n..].trim_ascii_start();
        }
    }
    t.len() > 4
        && (t[..4].eq_ignore_ascii_case(b"func")
            || t[..4].eq_ignore_ascii_case(b"prop")
            || (t[..3].eq_ignore_ascii_case(b"sub") && t[3].is_ascii_whitespace()))
}

/// Could `text` close one (`End Function`, `End Sub`)?
fn may_end_procedure(text: &[u8]) -> bool {
    let t = text.trim_ascii_start();
    t.len() > 6 && t[..3].eq_ignore_ascii_case(b"end") && t[3].is_ascii_whitespace()
}

/// The names of a parameter list: `ByVal a, b`, `string x, int n`, `x, y`: the last word of
/// each item, lowercased.
fn param_names(list: &[u8]) -> Vec<Vec<u8>> {
    list.split(|&b| b == b',')
        .take(MAX_PARAMS)
        .filter_map(|item| WORD.find_iter(item).last())
        .map(|m| m.as_bytes().to_ascii_lowercase())
        .collect()
}

/// Does `before` end inside a double-quoted literal? Quotes are counted as VBScript reads them
/// (`"C:\"` is a whole literal there), the same way [`statements`] cuts; a C# or JScript `\"`
/// inside a literal therefore reads as its end (a known limit).
fn in_literal(before: &[u8]) -> bool {
    memchr::memchr_iter(b'"', before).count() % 2 == 1
}

/// The end of each block whose `{` is at one of `opens` (string literals skipped), or the end
/// of `data`: one pass over the page with a stack, however many blocks are asked for.
fn block_ends(data: &[u8], opens: impl Iterator<Item = usize>) -> Vec<usize> {
    let opens: Vec<usize> = opens.collect();
    let mut ends = vec![data.len(); opens.len()];
    if opens.is_empty() {
        return ends;
    }
    let wanted: HashMap<usize, usize> = opens.iter().enumerate().map(|(i, &o)| (o, i)).collect();
    let first = opens.iter().copied().min().unwrap_or(0);
    // The stack holds, for every open brace, which asked-for block it is (if any).
    let mut stack: Vec<Option<usize>> = Vec::new();
    let mut in_str = false;
    for (i, &b) in data.iter().enumerate().skip(first) {
        match b {
            b'"' => in_str = !in_str,
            b'\n' => in_str = false,
            b'{' if !in_str => stack.push(wanted.get(&i).copied()),
            b'}' if !in_str => {
                if let Some(Some(k)) = stack.pop() {
                    ends[k] = i + 1;
                }
            }
            _ => {}
        }
    }
    ends
}

/// `text` with the contents of its single- and double-quoted literals left out.
fn strip_literals(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut quote = None;
    for &b in text {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None => out.push(b),
        }
    }
    out
}

/// Where a value that `data[start..end]` begins ends: `end`, or where its value still has a
/// parenthesis open at `end` (`s = string.Format("Host={0}",\n  Session["h"]);`), the parenthesis
/// that closes it, within 2 KB and the server block.
fn continued(data: &[u8], start: usize, end: usize) -> usize {
    let mut depth = 0i64;
    let mut quote = false;
    for &b in &data[start..end] {
        match b {
            b'"' => quote = !quote,
            b'(' if !quote => depth += 1,
            b')' if !quote => depth -= 1,
            _ => {}
        }
    }
    if depth <= 0 {
        return end;
    }
    let limit = (end + 2048).min(data.len());
    let mut quote = false;
    for i in end..limit {
        match data[i] {
            b'"' => quote = !quote,
            b'\n' => quote = false,
            b'(' if !quote => depth += 1,
            b')' if !quote => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            b'%' if !quote && data.get(i + 1) == Some(&b'>') => break,
            b'<' if !quote && data.get(i + 1) == Some(&b'/') => break,
            _ => {}
        }
    }
    end
}

/// The arguments of a call that go on below its line (`LogonUser(\n user,\n …)`): from `at`
/// to the parenthesis that closes the call (`open`: the call's own parenthesis is just before
/// `at`), within 2 KB and the server block; `arg` itself where it closes on its line.
fn call_args<'d>(data: &'d [u8], at: usize, arg: &'d [u8], open: bool) -> &'d [u8] {
    // (closed on its line when the depth comes back to zero anywhere in it: `GetType().Name`)
    let mut d = i64::from(open);
    for b in arg {
        match b {
            b'(' => d += 1,
            b')' => d -= 1,
            _ => {}
        }
        if d <= 0 {
            return arg;
        }
    }
    let start = at + arg.len();
    let end = (start + 2048).min(data.len());
    let mut i = start;
    while i < end {
        match data[i] {
            b'(' => d += 1,
            b')' => {
                d -= 1;
                if d == 0 {
                    return &data[at..i];
                }
            }
            b'%' if data.get(i + 1) == Some(&b'>') => break,
            b'<' if data.get(i + 1) == Some(&b'/') => break,
            _ => {}
        }
        i += 1;
    }
    arg
}

/// Does some write put request data into a file whose path is request data as a whole, or put
/// request data as a whole into a script page (see [`Check::RequestToFile`])? The path is read
/// from the same write: its own arguments, the definition of the stream it writes to, or the
/// `SaveToFile` of that stream.
fn request_to_file(page: &Page<'_>) -> Option<Range<usize>> {
    let data = page.data;
    let typed: &Regex = page.controls.as_ref().unwrap_or(&REQUEST_OR_BOX);
    let mut budget = MAX_WORK;
    // the paths of each stream, read once per name (a page writes its response a thousand times)
    let mut streams: HashMap<(usize, Vec<u8>), Vec<&[u8]>> = HashMap::new();
    let mut paths_of = |name: &[u8], scope: usize| {
        streams
            .entry((scope, name.to_ascii_lowercase()))
            .or_insert_with(|| page.stream_paths(name, scope))
            .clone()
    };
    for (st, scope) in &page.statements {
        let text = &data[st.clone()];
        let lead = text.trim_ascii_start();
        if lead.starts_with(b"'") || lead.starts_with(b"//") {
            continue;
        }
        let Some(c) = FILE_WRITE_SINK.captures(text) else {
            continue;
        };
        let at = c.get(0).expect("group 0").start();
        if in_literal(&text[..at]) || !page.is_server(st.start + at) {
            continue;
        }
        // what is written (`None`: an upload, which is the caller's file as it is), and the
        // paths of where it goes
        let (content, paths): (Option<&[u8]>, Vec<&[u8]>) = if let Some(x) = c.name("fw") {
            let name = x.as_bytes();
            if name.eq_ignore_ascii_case(b"response") {
                continue;
            }
            (
                Some(c.name("c1").map_or(&[][..], |m| m.as_bytes())),
                paths_of(name, *scope),
            )
        } else if let (Some(p), Some(v)) = (c.name("p2"), c.name("c2")) {
            (Some(v.as_bytes()), vec![p.as_bytes()])
        } else if let Some(a) = c.name("a3") {
            // (read on below the statement where a brace cuts it: `Path.Combine(new[] { … })`)
            let a = call_args(data, st.start + a.start(), a.as_bytes(), true);
            let path = first_arg(a);
            let rest = &a[path.len()..];
            (Some(rest.strip_prefix(b",").unwrap_or(rest)), vec![path])
        } else if let (Some(u), Some(a)) = (c.name("up"), c.name("a4")) {
            // an upload's SaveAs writes what the caller sent
            if !page.is_upload(u.as_bytes(), *scope) {
                continue;
            }
            (None, vec![a.as_bytes()])
        } else if let (Some(src), Some(cs)) = (c.name("src"), c.name("cs")) {
            // the body the caller sent, or an upload's, copied as it is into a stream of the page
            // (`Request.InputStream`, `Request.GetBufferlessInputStream()`, `f.InputStream` of an
            // upload, or a name defined as one of these)
            if !page.body_stream(src.as_bytes(), *scope) {
                continue;
            }
            (None, paths_of(cs.as_bytes(), *scope))
        } else {
            continue;
        };
        if paths.is_empty() {
            continue;
        }
        if page.saturated {
            return Some(st.clone());
        }
        let content_whole = match content {
            None => true,
            Some(content) => {
                let content_in = page
                    .slice_has_all(
                        content,
                        *scope,
                        &[typed],
                        MAX_DEPTH,
                        &mut Memo::new(),
                        &mut budget,
                    )
                    .unwrap_or(true);
                if !content_in {
                    continue;
                }
                page.whole_request(
                    &WHOLE_REQUEST,
                    first_arg(content),
                    *scope,
                    &mut Memo::new(),
                    &mut budget,
                ) || page.body_buffer(first_arg(content), *scope)
            }
        };
        for path in paths {
            if page
                .site_names(path, *scope)
                .into_iter()
                .any(|(parts, scope)| {
                    parts.iter().all(|p| {
                        page.whole_request(&WHOLE_REQUEST, p, scope, &mut Memo::new(), &mut budget)
                    })
                })
                || content_whole
                    && page.slice_has_all(
                        path,
                        *scope,
                        &[&SCRIPT_LITERAL],
                        MAX_DEPTH,
                        &mut Memo::new(),
                        &mut budget,
                    ) == Some(true)
            {
                return Some(st.clone());
            }
        }
    }
    None
}

/// `String.Concat(` at the start of a path.
static STRING_CONCAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*\(?\s*(?:system\s*\.\s*)?string\s*\.\s*concat\s*\(").unwrap()
});
/// `String.Format(` at the start of a path, with a format of two values and at most a separator
/// between them (`"{0}{1}"`, `"{0}\\{1}"`, `@"{0}\{1}"`).
static STRING_FORMAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)^\s*\(?\s*(?:system\s*\.\s*)?string\s*\.\s*format\s*\(\s*@?"\{0\}[/\\]{0,2}\{1\}"\s*,"#)
        .unwrap()
});
/// An interpolated path of two values with at most a separator between them:
/// `$"{root}{name}"`, `$@"{root}\{name}"`.
static INTERPOLATED_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^\s*(?:\$@?|@\$)"\{([^{}"]+|[^{}]*\([^{}]*\)[^{}]*)\}[/\\]{0,2}\{([^{}]+)\}"\s*$"#,
    )
    .unwrap()
});
/// `Path.Combine(` at the start of a path, with the opening of an array of its parts
/// (`Path.Combine(new[] {`, `new string[] {`, VB's `{`) in the match.
static PATH_COMBINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*\(?\s*(?:(?:system\s*\.\s*)?io\s*\.\s*)?path\s*\.\s*combine\s*\(\s*(?:(?:new\s*(?:string\s*)?\[\s*\]\s*)?\{)?")
        .unwrap()
});
/// A part of a joined path that adds nothing to it: an empty literal or a separator (`""`,
/// `"\\"`, `"/"`).
static EMPTY_PART: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s*(?:@?"[/\\]{0,2}"|'[/\\]{0,2}')\s*\}?\s*$"#).unwrap());
/// A literal that is the site's root or the page's folder as a whole: `"/"`, `"~/"`, `"."`,
/// `"./"`, `"../"`, `""`, `"\"`.
static ROOT_LITERAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s*(?:@?"[~./\\]{0,4}"|'[~./\\]{0,4}')\s*$"#).unwrap());
/// The application's folder as a whole, by a property: `Request.PhysicalApplicationPath`,
/// `AppDomain.CurrentDomain.BaseDirectory`, `HttpRuntime.AppDomainAppPath`.
static ROOT_PROPERTY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*\(?\s*(?:[a-z_]\w*\s*\.\s*){0,3}(?:request\s*\.\s*physicalapplicationpath|appdomain\s*\.\s*currentdomain\s*\.\s*basedirectory|httpruntime\s*\.\s*appdomainapppath)\s*\)?\s*$").unwrap()
});
/// Separators joined on after a root (`"\" &`, `"/" +`, `Chr(92) &`,
/// `Path.DirectorySeparatorChar +`).
static ROOT_SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)^(?:\s*(?:@?"[/\\]{1,2}"|'[/\\]{1,2}'|chrw?\s*\(\s*92\s*\)|(?:(?:system\s*\.\s*)?io\s*\.\s*)?path\s*\.\s*(?:alt)?directoryseparatorchar(?:\s*\.\s*tostring\s*\(\s*\))?)\s*[+&])*\s*"#).unwrap()
});

/// The text before and after the first `+` or `&` of `expr` at its own depth, literals skipped.
fn split_join(expr: &[u8]) -> Option<(&[u8], &[u8])> {
    scan_code(expr, |b, depth| depth == 0 && matches!(b, b'+' | b'&'))
        .map(|i| (&expr[..i], &expr[i + 1..]))
}

/// The arguments of a call whose arguments start `args`, up to its closing parenthesis (at most
/// 8).
fn call_parts(mut rest: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    while parts.len() < 8 {
        let a = first_arg(rest);
        parts.push(a);
        match rest.get(a.len()) {
            Some(b',') => rest = &rest[a.len() + 1..],
            _ => break,
        }
    }
    parts
}

impl<'a> Page<'a> {
    /// Is `expr` the site's root or the page's folder as a whole: the `MapPath` of a root
    /// literal ([`ROOT_LITERAL`]), a property that is the application's folder
    /// ([`ROOT_PROPERTY`]), or a name one of whose definitions is either?
    fn is_root(&self, expr: &[u8], scope: usize) -> bool {
        let root = |e: &[u8]| {
            ROOT_PROPERTY.is_match(e)
                || MAP_PATH.find(e).is_some_and(|m| {
                    let inner = first_arg(&e[m.end()..]);
                    let after = &e[(m.end() + inner.len() + 1).min(e.len())..];
                    ROOT_LITERAL.is_match(inner)
                        && after.iter().all(|&b| b.is_ascii_whitespace() || b == b')')
                })
        };
        root(expr)
            || ONE_NAME.captures(expr).is_some_and(|c| {
                self.defs_of(&c[1], scope)
                    .any(|(r, _)| root(first_arg(&self.data[r.clone()])))
            })
    }

    /// What names the file of `path` (a call's first argument, of scope `scope`) as a whole or
    /// within the site's root (which is anywhere in the site), each with the scope its names
    /// resolve in: the path itself; the argument of its `MapPath(…)` without a root literal
    /// joined in front (`MapPath("~/" + name)`); what is joined after a root
    /// (`MapPath("/") + name`, `root & "\" & name` with `root = Server.MapPath(".")`,
    /// `Request.PhysicalApplicationPath + name`); the second part of a `Path.Combine`,
    /// `String.Concat`, `String.Format` or interpolated text whose first is a root; and the same
    /// of each definition of a name the path is. Each comes as the parts that all name it: the
    /// parts after the root of a `Path.Combine(root, dir, name)` or `String.Concat` of more
    /// (empty parts and separators left out), which the caller names only if it sends every one
    /// (a fixed folder in between, `Path.Combine(root, "App_Data", name)`, is the application's).
    fn site_names(&self, path: &'a [u8], scope: usize) -> Vec<(Vec<&'a [u8]>, usize)> {
        let mut out = Vec::new();
        let mut todo = vec![(first_arg(path), scope)];
        if let Some(c) = ONE_NAME.captures(first_arg(path)) {
            for (r, def_scope) in self.defs_of(&c[1], scope).take(8) {
                todo.push((first_arg(&self.data[r.clone()]), *def_scope));
            }
        }
        for (p, scope) in todo {
            // `Path.Combine(root, name)`, `String.Concat(root, name)`, `String.Format("{0}\{1}",
            // root, name)` (the format and its comma are in the match), `$"{root}\{name}"`: a
            // root and a name as the call's or the text's two values
            let call = [&*PATH_COMBINE, &*STRING_CONCAT, &*STRING_FORMAT]
                .iter()
                .find_map(|r| r.find(p));
            let two = match call {
                Some(m) => Some(call_parts(&p[m.end()..])),
                None => INTERPOLATED_PATH.captures(p).map(|c| {
                    vec![
                        c.get(1).expect("group 1").as_bytes(),
                        c.get(2).expect("group 2").as_bytes(),
                    ]
                }),
            };
            if let Some(parts) = two {
                if let [root, rest @ ..] = &parts[..] {
                    let rest: Vec<&[u8]> = rest
                        .iter()
                        .map(|p| p.trim_ascii_end().strip_suffix(b"}").unwrap_or(p))
                        .filter(|p| !EMPTY_PART.is_match(p))
                        .collect();
                    if !rest.is_empty() && self.is_root(root, scope) {
                        out.push((rest, scope));
                    }
                }
                continue;
            }
            if let Some((head, tail)) = split_join(p) {
                if self.is_root(head, scope) {
                    let sep = ROOT_SEPARATOR.find(tail).map_or(0, |m| m.end());
                    out.push((vec![&tail[sep..]], scope));
                }
            }
            let mut p = p;
            if let Some(m) = MAP_PATH.find(p) {
                p = first_arg(&p[m.end()..]);
                // (`MapPath(Path.Combine("~/", name))`)
                if let Some(c) = PATH_COMBINE.find(p) {
                    if let [root, name] = call_parts(&p[c.end()..])[..] {
                        if ROOT_LITERAL.is_match(root) {
                            out.push((vec![name], scope));
                        }
                    }
                }
            }
            // (under the site's root: `MapPath("~/" + name)` is anywhere in the site)
            if let Some(m) = SITE_ROOT.find(p) {
                p = &p[m.end()..];
            }
            out.push((vec![p], scope));
        }
        out
    }
}

/// The first argument of a call whose arguments start `arg`: up to a comma at its own depth or
/// the parenthesis that closes the call (`Request("d")).Files` gives `Request("d")`), literals
/// skipped; all of `arg` where neither comes.
fn first_arg(arg: &[u8]) -> &[u8] {
    let end = scan_code(arg, |b, depth| {
        depth == 0 && matches!(b, b')' | b']' | b',' | b';')
    });
    &arg[..end.unwrap_or(arg.len())]
}

/// Walks `text` outside its literals (`"…"`, and `'…'` right after `[` or `(`: a JScript key,
/// `Request['f']`; elsewhere `'` starts a comment) with the depth of parentheses and brackets
/// before each byte, to the first byte where `stop` holds.
fn scan_code(text: &[u8], mut stop: impl FnMut(u8, i64) -> bool) -> Option<usize> {
    let mut depth = 0i64;
    let mut quote = None;
    for (i, &b) in text.iter().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"') => quote = Some(b),
            (None, b'\'') if i > 0 && matches!(text[i - 1], b'[' | b'(') => quote = Some(b),
            (None, _) => {
                if stop(b, depth) {
                    return Some(i);
                }
                match b {
                    b'(' | b'[' => depth += 1,
                    b')' | b']' => depth -= 1,
                    _ => {}
                }
            }
        }
    }
    None
}

/// [`PROC_SINK`] with the calls of the names a page imports a process API under
/// ([`PROCESS_IMPORT`]), where it has any.
fn process_aliases(data: &[u8]) -> Option<Regex> {
    let names: Vec<String> = PROCESS_IMPORT
        .captures_iter(data)
        .filter_map(|c| {
            ["name", "own", "vb", "vbo", "vbn", "vbno"]
                .iter()
                .find_map(|g| c.name(g))
        })
        .map(|m| regex::escape(&String::from_utf8_lossy(m.as_bytes())))
        .collect();
    let names = alternation(names, 20)?;
    let src = PROC_SINK_SRC
        .strip_suffix(')')
        .expect("PROC_SINK_SRC ends its group");
    Regex::new(&format!(r"{src}|\b(?:{names})\s*\((.+)$)")).ok()
}

/// `names` sorted, without repeats, at most `max` of them, as a regex alternation (`a|b`);
/// `None` when there are none.
fn alternation(mut names: Vec<String>, max: usize) -> Option<String> {
    names.sort();
    names.dedup();
    names.truncate(max);
    (!names.is_empty()).then(|| names.join("|"))
}

/// [`REQUEST_OR_BOX`] with the values of the page's server-side HTML inputs, by their ids.
fn server_controls(data: &[u8]) -> Option<Regex> {
    let ids: Vec<String> = SERVER_INPUT
        .find_iter(data)
        .filter_map(|tag| CONTROL_ID.captures(tag.as_bytes()))
        .filter_map(|c| c.get(1))
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
        .collect();
    let ids = alternation(ids, 200)?;
    Regex::new(&format!(
        r"(?i-u)(?:{REQUEST_SRC}|{BOX_TEXT}|\b(?:{ids})\s*\.\s*(?:Value|InnerText)\b)"
    ))
    .ok()
}

/// Lines cut at `:`, `;`, braces and script delimiters (`<%`, `<%=`, `%>`) outside
/// double-quoted literals, blank ones left out.
fn statements(data: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut in_str = false;
    let mut i = 0usize;
    while i < data.len() {
        let b = data[i];
        let cut = match b {
            b'"' => {
                in_str = !in_str;
                None
            }
            b'\n' | b'\r' => {
                in_str = false;
                Some(1)
            }
            b':' | b';' | b'{' | b'}' if !in_str => Some(1),
            b'<' if data.get(i + 1) == Some(&b'%') => {
                in_str = false;
                // (`<%= x %>` keeps its `=`: the statement writes `x` into the response)
                Some(2)
            }
            b'%' if data.get(i + 1) == Some(&b'>') => {
                in_str = false;
                Some(2)
            }
            _ => None,
        };
        match cut {
            Some(n) => {
                push(&mut out, data, start, i);
                i += n;
                start = i;
            }
            None => i += 1,
        }
    }
    push(&mut out, data, start, data.len());
    out
}

/// The `/* … */` comments of the page's server code (JScript, C#), each closed by its `*/` (or
/// the `%>` that ends its block first). A `/*` counts where it is server code and nothing before
/// it on its line could make it text: no `'` (a VBScript comment, a JScript literal), no `//`,
/// no open double-quoted literal; one never closed is no comment. (So neither a VBScript `' /*`
/// nor a `/**` in the markup before the code hides that code.)
fn block_comments(data: &[u8], server: Option<&[Range<usize>]>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&data[from..], b"/*").map(|i| from + i) {
        let line = data[..i]
            .iter()
            .rposition(|&b| b == b'\n' || b == b'\r')
            .map_or(0, |p| p + 1);
        let before = &data[line..i];
        let quotes = before.iter().filter(|&&b| b == b'"').count();
        let in_server = server.is_none_or(|r| r.iter().any(|r| r.contains(&i)));
        let close = memchr::memmem::find(&data[i + 2..], b"*/").map(|e| i + 2 + e + 2);
        if !in_server
            || close.is_none()
            || before.contains(&b'\'')
            || memchr::memmem::find(before, b"//").is_some()
            || quotes % 2 == 1
        {
            from = i + 2;
            continue;
        }
        let close = close.expect("closed");
        let end = memchr::memmem::find(&data[i + 2..close], b"%>").map_or(close, |e| i + 2 + e);
        out.push(i..end);
        from = end;
    }
    out
}

fn push(out: &mut Vec<Range<usize>>, data: &[u8], start: usize, end: usize) {
    if data[start..end].iter().any(|b| !b.is_ascii_whitespace()) {
        out.push(start..end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_the_server_fetches() {
        for page in [
            &b"<%\nu = Request(\"url\")\nSet h = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\nh.Open \"GET\", u, False\nh.Send\nResponse.BinaryWrite h.ResponseBody\n%>"[..],
            b"<%@ Page Language=\"C#\" %><%\nvar w = (HttpWebRequest)WebRequest.Create(Request.QueryString[\"u\"]);\n%>",
            b"<%@ Page Language=\"C#\" %><%\nstring t = Request[\"target\"];\nResponse.Write(new System.Net.WebClient().DownloadString(t));\n%>",
            b"<%@ Page Language=\"JScript\" %><%\nvar x = new ActiveXObject(\"Microsoft.XMLHTTP\");\nx.open(\"POST\", Request.Form(\"u\"), false);\n%>",
        ] {
            assert!(holds(Check::RequestToUrl, page), "{}", String::from_utf8_lossy(page));
        }
        // a browser script's request, and a fixed URL on a page that reads its form, are not
        let page = b"<% u = Request.QueryString(\"u\") %>\n<script>\nvar a = new ActiveXObject(\"Microsoft.XMLHTTP\");\na.open(\"GET\", url, true);\n</script>";
        assert!(!holds(Check::RequestToUrl, page));
        let page = b"<%\nu = Request(\"url\")\nSet h = Server.CreateObject(\"MSXML2.ServerXMLHTTP\")\nh.Open \"GET\", \"http://example.com/feed\", False\n%>";
        assert!(!holds(Check::RequestToUrl, page));
    }

    #[test]
    fn encoder_blocks_span_the_length_they_declare() {
        // `bgEAAA==` declares 366 characters: quoted around three dots, nothing is encoded
        assert_eq!(encoded_block(b"<%#@~^bgEAAA==...@#@&E3EAAA==^#~@%>"), None);
        let long = format!("<%#@~^bgEAAA=={}E3EAAA==^#~@%>", "x".repeat(366));
        assert_eq!(encoded_block(long.as_bytes()), Some(2..long.len() - 2));
        // a UTF-16 page, read with its zero bytes dropped, answers in the page's own offsets
        let wide: Vec<u8> = long.bytes().flat_map(|b| [b, 0]).collect();
        assert_eq!(encoded_block(&wide), Some(4..wide.len() - 4));
    }

    #[test]
    fn call_arguments_below_the_line_are_read() {
        let page = b"<script runat=\"server\">\nvoid Go() {\n if (LogonUser(\n  txtUser.Text,\n  txtDomain.Text,\n  txtPass.Text, 2, 0, ref h) != 0) { }\n}\n</script>";
        assert!(holds(Check::RequestToLogon, page));
        let page = b"<script runat=\"server\">\nvoid Go() {\n if (LogonUser(\n  cfg.User,\n  \"CORP\",\n  cfg.Password, 2, 0, ref h) != 0) { }\n lbl.Text = txtNote.Text;\n}\n</script>";
        assert!(!holds(Check::RequestToLogon, page));
        // a call closed on its line reads no further (`GetType()` then a later request value)
        let page = b"<script runat=\"server\">\nvoid Go() {\n w.GetType().GetMethod(\"Render\").Invoke(w, new object[] { Request[\"id\"] });\n}\n</script>";
        assert!(!holds(Check::RequestToReflection, page));
    }

    #[test]
    fn request_reaches_execute_through_variables_and_functions() {
        let page = b"<%\nk = Request(\"a\")\nx = Trim(k)\nExecute(x)\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<% a=request(\"z\"):b=a:eval b %>";
        assert!(holds(Check::RequestToExec, page));
        // Through the session the page fills (under the key read, or a computed one), in a
        // procedure or not; not through one other pages filled, nor under another key.
        let page = b"<%\nIf Request(\"p\") <> \"\" Then Session(\"P\") = Request(\"p\")\n\
            Function g()\n g = Session(\"p\")\nEnd Function\nExecuteGlobal g()\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%\nSub keep(v)\n Session(\"c\") = v\nEnd Sub\nkeep Request.Form(\"z\")\nExecute Session(\"c\")\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%\nk = \"c\"\nSession(k) = Request(\"z\")\nExecute Session(\"c\")\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%@ Page Language=\"JScript\" %><%\nSession[\"c\"] = Request.Item[\"z\"];\neval(Session[\"c\"].ToString());\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%\nFunction g()\n g = Session(\"p\")\nEnd Function\nExecuteGlobal g()\n%>";
        assert!(!holds(Check::RequestToExec, page));
        let page = b"<%\nSession(\"user\") = Request(\"u\")\nExecute Session(\"code\")\n%>";
        assert!(!holds(Check::RequestToExec, page));
        let page = b"<%@ Page Language=\"JScript\" %><%\nif (Request[\"c\"] != null) HttpContext.Current.Session[\"c\"] = Request[\"c\"];\neval(Session[\"c\"]);\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%\nSession.Contents(\"a=1\") = Request(\"c\")\nExecute Session.Contents(\"a=1\")\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%\nSession.Timeout = 5\nx = Request(\"x\")\nExecute Session.SessionID\n%>";
        assert!(!holds(Check::RequestToExec, page));
        // JScript: a junk-stripping loop, then eval; and eval of what a function returns.
        let page = b"<script language=\"JScript\" runat=\"server\">function Page_Load(){var a=Request[\"R\"];\
            for(var i=0;i<9;i++){a=a.replace(\"|\",\"\");};eval(a);}</script>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%@ Page Language=\"Jscript\"%><%\nvar a=Request.Form[\"p\"];\nfunction f()\n{\nreturn a;\n}\n\
            function g()\n{\n eval(f(),\"unsafe\");\n}\ng()\n%>";
        assert!(holds(Check::RequestToExec, page));
        // A browser script's XMLHttpRequest called `request` is no request data.
        let page = b"<% Response.Write(Now) %><script>var request = new XMLHttpRequest();\n\
            var data = eval(request.responseText);</script>";
        assert!(!holds(Check::RequestToExec, page));
        // A browser script's function is no open VBScript procedure.
        let page = b"<script>\nfunction go(u) {\n location = u;\n}\n</script><%\nFunction g()\n g = Request(\"p\")\n\
            End Function\nExecute g()\n%>";
        assert!(holds(Check::RequestToExec, page));
        // `If … Then x = Request(…)` on one line, and a sink after a literal that names one.
        let page = b"<%\nIf Request(\"c\") <> \"\" Then c = Request(\"c\")\nIf m = \"Execute\" Then Execute(c)\n%>";
        assert!(holds(Check::RequestToExec, page));
        // A class property that runs what it is given: `o.p = Request(…)` calls `Property Let p(v)`.
        let page = b"<%\nClass C\nPublic Property Let p(v)\nExecute(v)\nEnd Property\nEnd Class\n\
            Set o = New C\nd = Request(\"x\")\no.p = d\n%>";
        assert!(holds(Check::RequestToExec, page));
        // Through a dictionary: d.Add k, Session(k) … Execute(d(k)).
        let page = b"<%\nd.Add n, Session(n)\nSession(\"a\") = Request(\"a\")\nExecute(d(n))\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%\nx = Request.Form(m(0))\nSession(m(1)) = x\nExecute(Session(m(1)))\n%>";
        assert!(holds(Check::RequestToExec, page));
        // A page built to exhaust the reading: the hit stands on its strings.
        let mut big = b"<%\nFunction f(a)\nf = a\nEnd Function\n".to_vec();
        for i in 0..40_000 {
            big.extend_from_slice(format!("v{i} = f(v{})\n", i + 1).as_bytes());
        }
        big.extend_from_slice(b"Execute f(v0)\n%>");
        let t = std::time::Instant::now();
        assert!(
            holds(Check::RequestToExec, &big),
            "an exhausted reading keeps the hit"
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"z\"],\"unsafe\");%>";
        assert!(holds(Check::RequestToExec, page));
    }

    #[test]
    fn a_hook_registered_elsewhere_is_not_fed_by_the_request() {
        // Z-Blog style: the page reads the request for itself and runs a plugin hook.
        let page = b"<%\nq = Request.QueryString(\"q\")\n\
            If Not IsEmpty(sAction_Plugin_Search) Then Call Execute(sAction_Plugin_Search)\n%>";
        assert!(!holds(Check::RequestToExec, page));
        // A method named Execute… is no Execute statement.
        let page = b"<%\nx = Request(\"a\")\nExeCuteFullTextCommands x\nconn.Execute(x)\n%>";
        assert!(!holds(Check::RequestToExec, page));
    }

    #[test]
    fn assembled_and_decoded_code() {
        let page = b"<%\nt = Array(101,118,97,108)\nFor i=0 To 3: s = s & Chr(t(i) - 0): Next\nExecute s\n%>";
        assert!(holds(Check::AssembledExec, page));
        let page = b"<%\ns = StrReverse(\")\"\"a\"\"(tseuqer lave\")\nExecute(s)\n%>";
        assert!(holds(Check::AssembledExec, page));
        let page =
            b"<%\nFunction d(s)\nFor i = 1 To Len(s)\nd = d & Chr(Asc(Mid(s, i, 1)) Xor 7)\n\
            Next\nEnd Function\nExecute(d(\"bqfk\"))\n%>";
        assert!(holds(Check::DecoderExec, page));
        // A template engine: Replace of markers by values, then Execute.
        let page =
            b"<%\ns = Replace(code, \"$1\", name)\ntpl = Split(s, vbNullChar)(0)\nExecute(tpl)\n%>";
        assert!(!holds(Check::AssembledExec, page));
        assert!(!holds(Check::DecoderExec, page));
        // character codes split out of a literal in a loop, and a base64 class's output
        let page = b"<%\nk = \"\"\nd = \"\"\nd = d & \"60B37B32B101B118B97B108B32B114B101B113B117B101B115B116B\"\n\
            for each c in split(d, \"B\") : k = k & chr(c) : next\nexecute k\n%>";
        assert!(holds(Check::DecoderExec, page));
        let page = b"<%\nclass B64\nPublic Function Decode(s)\nFor n = 1 To Len(s) Step 4\n\
            w1 = look(Mid(s, n, 1))\nw2 = look(Mid(s, n + 1, 1))\n\
            o = o + Chr(((w1 * 4 + Int(w2 / 16)) And 255))\nNext\nDecode = o\nEnd Function\n\
            Private Function look(c)\nlook = InStr(\"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\", c) - 1\n\
            End Function\nend class\np = \"\"\np = p & \"ZXZhbCByZXF1ZXN0KCJ4Iik=\"\nset b = new B64\n\
            x = b.Decode(p)\nexecute x\n%>";
        assert!(holds(Check::DecoderExec, page));
        // a loop over the lines of a settings file, each run as an assignment
        let page = b"<%\nfor each line in split(settings, vbCrLf)\nexecute line\nnext\n%>";
        assert!(!holds(Check::DecoderExec, page));
    }

    #[test]
    fn commented_code_counters_and_regex_builders_run_nothing() {
        // a `/* … */` comment, in JScript or C#
        let page =
            b"<script language=\"javascript\" runat=\"server\">\nvar u = Request.Form(\"u\")\n/*\n\
            function f(s)\n{\n return eval(s + u)\n}*/\n</script>";
        assert!(!holds(Check::RequestToExec, page));
        // but a `/*` a VBScript comment or a literal holds opens none
        let page = b"<%\n' /*\nx = Request(\"x\")\nExecute x\n' */\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%@ Page Language=\"JScript\" %><%\nvar a = '/*';\nvar x = Request.Item[\"z\"];\neval(x);\nvar b = '*/';\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page =
            b"<%@ Page Language=\"JScript\" %><%\nvar x = Request.Item[\"z\"];\neval/**/(x);\n%>";
        assert!(holds(Check::RequestToExec, page));
        // nor a `/**` in the markup, nor one never closed, nor one its block's `%>` ends
        let page = b"<!--\n/**\n* banner\n-->\n<%Function f(s) eval s End Function%><%d = request(\"a\")%><%f d%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%@ Page Language=\"JScript\" %><% /* note %><% var x = Request.Item[\"z\"]; eval(x); /* */ %>";
        assert!(holds(Check::RequestToExec, page));
        // a counted loop's variable indexes, it carries no request data
        let page = b"<%\nids = Split(Request.Form(\"ids\"), \",\")\nt = Split(\"a b\")\n\
            For i = 0 To UBound(ids)\nt(i) = Eval(t(i))\nNext\n%>";
        assert!(!holds(Check::RequestToExec, page));
        let page = b"<%\nt = Split(Request.Form(\"c\"), \"|\")\nFor i = 0 To UBound(t)\nExecute t(i)\nNext\n%>";
        assert!(holds(Check::RequestToExec, page));
        // JScript's regular expressions built by eval
        let page = b"<script language=\"javascript\" runat=\"server\">\nfunction can(g, m)\n{\n\
            g = \"/(\" + g.split(\",\").join(\"|\") + \")\" + m + \"/\"\n return eval(g).test(Application(\"grant\"))\n}\n\
            if (!can(Request.Form(\"u\"), \"r\")) Response.Redirect(\"/\")\n</script>";
        assert!(!holds(Check::RequestToExec, page));
        let page = b"<script language=\"javascript\" runat=\"server\">\nvar ok = String(Application(\"g\")).match(eval(\"/[:,]\" + Request(\"m\") + \"/\")) != null\n</script>";
        assert!(!holds(Check::RequestToExec, page));
        let page = b"<script language=\"javascript\" runat=\"server\">\nvar g = Request(\"g\")\nvar ok = eval(g).test(\"x\")\n</script>";
        assert!(holds(Check::RequestToExec, page));
    }

    #[test]
    fn connection_strings() {
        let page = b"<%\ncs = Request.Form(\"c\")\nSet conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open cs\n%>";
        assert!(holds(Check::RequestToConnection, page));
        let page = b"string c = txtConn.Text;\nvar conn = new SqlConnection(c);";
        assert!(holds(Check::RequestToConnection, page));
        // A recordset opened with request-built SQL is an application page, not a console.
        let page = b"<%\nSet conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open Application(\"cs\")\n\
            Set rs = Server.CreateObject(\"ADODB.Recordset\")\nsql = \"SELECT * FROM t WHERE id=\" & Request(\"id\")\n\
            rs.Open sql, conn, 1, 1\n%>";
        assert!(!holds(Check::RequestToConnection, page));
        let page = b"<!--#include file=\"config.asp\"-->\n<%\nx = Request.Form(\"a\")\nmy_Conn.Open strConnString\n%>";
        assert!(!holds(Check::RequestToConnection, page));
        // The application object is kept by key as the session is: the login page that adds
        // the user to an online list opens the connection string `global.asa` stored.
        let page = b"<%\nu = Trim(Request.Form(\"u\"))\nset conn=server.CreateObject(\"adodb.connection\")\n\
            conn.Open Application(\"cs\")\nconn.Execute \"update t set a=1 where n='\"&u&\"'\"\n\
            Application.Lock\napplication(\"online\")=application(\"online\")&u&\";\"\n%>";
        assert!(!holds(Check::RequestToConnection, page));
        assert!(!holds(Check::SqlConsole, page));
        let page = b"<%\nApplication(\"cs\") = Request.Form(\"cs\")\nset conn=server.CreateObject(\"adodb.connection\")\n\
            conn.Open Application(\"cs\")\n%>";
        assert!(holds(Check::RequestToConnection, page));
        // What a recordset holds after `rs.Open sql` is the database's rows, not the query: a
        // page that fills a name template from its fields runs no request data; an XMLHTTP
        // object opened on a request URL still carries it.
        let page = b"<%\nids = Request.Form(\"ids\")\nsql = \"SELECT no FROM t WHERE id IN (\" & ids & \")\"\n\
            Set rsData = Server.CreateObject(\"ADODB.Recordset\")\nrsData.Open sql, conn, 3\n\
            t = \"rsData(\"\"no\"\")\"\nv = Eval(t)\nrsData.Close\nSet rsData = Nothing\n%>";
        assert!(!holds(Check::RequestToExec, page));
        let page = b"<%\nSet h = Server.CreateObject(\"MSXML2.XMLHTTP\")\nh.Open \"GET\", Request(\"u\"), False\nh.Send\nExecute h\n%>";
        assert!(holds(Check::RequestToExec, page));
        // (…unless the query selects the caller's own text: then the rows are that text)
        for page in [
            &b"<%\nSet rs = Server.CreateObject(\"ADODB.Recordset\")\nrs.Open \"select '\" & Request(\"c\") & \"'\", conn\nExecute rs(0)\n%>"[..],
            b"<%\nc = Request.Form(\"c\")\nsql = \"SELECT CAST('\" & c & \"' AS varchar(8000))\"\nSet rs = Server.CreateObject(\"ADODB.Recordset\")\nrs.Open sql, conn\nExecute rs.Fields(0).Value\n%>",
        ] {
            assert!(holds(Check::RequestToExec, page), "{}", String::from_utf8_lossy(page));
        }
        let page = b"<%\nsql = \"SELECT * FROM t WHERE name='\" & Request(\"n\") & \"'\"\n\
            Set rs = Server.CreateObject(\"ADODB.Recordset\")\nrs.Open sql, conn\nt = \"rs(\"\"no\"\")\"\nv = Eval(t)\n%>";
        assert!(!holds(Check::RequestToExec, page));
        // (a recordset named in a comment, or a name also set to another object, is no recordset)
        let page = b"<%\n' Set h = Server.CreateObject(\"ADODB.Recordset\")\nSet h = Server.CreateObject(\"MSXML2.XMLHTTP\")\n\
            h.Open \"GET\", Request(\"u\"), False : h.Send\ns = h.responseText\nExecute s\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%\nSet h = Server.CreateObject(\"ADODB.Recordset\")\nSet h = Server.CreateObject(\"MSXML2.XMLHTTP\")\n\
            h.Open \"GET\", Request(\"u\"), False\nExecute h.responseText\n%>";
        assert!(holds(Check::RequestToExec, page));
        // The stores read and filled through their members.
        for page in [
            &b"<%\nApplication(\"k\") = Request(\"c\")\nSet a = Application.Contents\nExecute a(\"k\")\n%>"[..],
            b"<%\nApplication(\"k\") = Request(\"c\")\nx = Application.Contents.Item(\"k\")\nExecute x\n%>",
            b"<%@ Page Language=\"JScript\" %>\n<% Application[\"k\"] = Request.Item[\"c\"];\nvar s = Application.Get(\"k\");\neval(s); %>",
            b"<%@ Page Language=\"JScript\" %>\n<% Application.Add(\"k\", Request.Item[\"c\"]);\neval(Application[\"k\"]); %>",
            b"<%\nSession.Add \"k\", Request(\"c\")\nExecute Session(\"k\")\n%>",
        ] {
            assert!(holds(Check::RequestToExec, page), "{}", String::from_utf8_lossy(page));
        }
        let page = b"<%\nApplication.Lock\nApplication(\"n\") = Application(\"n\") & Request(\"u\")\nApplication.UnLock\nExecute Application(\"code\")\n%>";
        assert!(!holds(Check::RequestToExec, page));
        // The connection string kept in the session: a console's when the page stored it from
        // the request, an application's when another page did (a login, `global.asa`).
        let page =
            b"<%\nIf Request.Form(\"cs\") <> \"\" Then Session(\"cs\") = Request.Form(\"cs\")\n\
            Set conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open Session(\"cs\")\n%>";
        assert!(holds(Check::RequestToConnection, page));
        let page = b"<%@ Page Language=\"C#\" %><%\nSession[\"cs\"] = Request.Form[\"cs\"];\n\
            var conn = new SqlConnection(HttpContext.Current.Session[\"cs\"].ToString());\n%>";
        assert!(holds(Check::RequestToConnection, page));
        let page = b"<%\nSession(\"user\") = Request.ServerVariables(\"LOGON_USER\")\n\
            Set conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open Session(\"cs\")\n%>";
        assert!(!holds(Check::RequestToConnection, page));
    }

    #[test]
    fn a_recordset_opened_on_the_callers_connection() {
        let page = b"<%\nsql = Request(\"q\")\nSet rs = Server.CreateObject(\"ADODB.Recordset\")\n\
            rs.Open sql, Request.Form(\"c\"), 1, 1\n%>";
        assert!(holds(Check::RequestToConnection, page));
        assert!(holds(Check::SqlConsole, page));
        let page = b"<%\nsql = Request(\"q\")\nSet rs = Server.CreateObject(\"ADODB.Recordset\")\n\
            rs.Open sql, Application(\"cs\"), 1, 1\n%>";
        assert!(!holds(Check::RequestToConnection, page));
    }

    #[test]
    fn the_caller_sends_the_whole_path() {
        for page in [
            &b"<% Set fso = Server.CreateObject(\"Scripting.FileSystemObject\")\nFor Each f In fso.GetFolder(Trim(Request(\"d\"))).Files\nResponse.Write f.Name\nNext %>"[..],
            b"<% p = UnEscape(Request.Form.Item(\"p\"))\nSet t = fso.OpenTextFile(p, 1)\nResponse.Write t.ReadAll %>",
            b"foreach (var f in System.IO.Directory.GetFiles(Request.Cookies[\"d\"].Value)) Response.Write(f);",
            b"Request.Files[0].SaveAs(Request.Headers[\"X-P\"]);",
            // a folder of the disk's root that the caller names
            b"<%\nstring sel = Request.QueryString[\"dir\"];\nstring root = \"C:\\\\\";\n\
              string p = System.IO.Path.Combine(root, sel);\n\
              foreach (string d in System.IO.Directory.GetDirectories(p)) Response.Write(d);\n%>",
            b"<% Set f = fso.GetFolder(\"D:\\\" & Request(\"d\")) %>",
        ] {
            assert!(holds(Check::RequestIsPath, page), "{}", String::from_utf8_lossy(page));
        }
        // an application's own folder with a name from the request
        for page in [
            &b"<% fso.DeleteFile Server.MapPath(\"upload/\" & Request(\"f\")) %>"[..],
            b"foreach (var f in Directory.GetFiles(Server.MapPath(\"~/img/\" + Request[\"a\"]))) Response.Write(f);",
            b"File.Delete(Path.Combine(root, Request[\"f\"]));",
            // a drive root without the request, and a file under a folder of the drive
            b"foreach (var d in Directory.GetDirectories(\"C:\\\\\")) Response.Write(d + Request[\"sep\"]);",
            b"var t = File.ReadAllText(\"C:\\\\app\\\\logs\\\\\" + Request[\"day\"] + \".log\");",
            // a delete alone: an editor's asset manager deletes the folder its dialog names
            b"<% sFolder = Request(\"inpCurrFolder\")\nfso.DeleteFolder(sFolder) %>",
        ] {
            assert!(!holds(Check::RequestIsPath, page), "{}", String::from_utf8_lossy(page));
        }
    }

    #[test]
    fn request_written_into_a_named_file_or_a_script_page() {
        for page in [
            // the raw body saved where the query says
            &b"<% Set st = Server.CreateObject(\"ADODB.Stream\")\nst.Type = 1\nst.Open\nst.Write Request.BinaryRead(Request.TotalBytes)\nst.SaveToFile Server.MapPath(Request.QueryString(\"n\")), 2 %>"[..],
            b"<% Set f = fso.CreateTextFile(Request(\"p\"), True)\nf.Write Request(\"c\")\nf.Close %>",
            b"System.IO.File.WriteAllText(Server.MapPath(\"~/x.aspx\"), Request.Form[\"c\"]);",
            b"<% fso.CreateTextFile(Server.MapPath(\"s.asp\")).Write Request(\"c\") %>",
            // a C# `using` stream, a path built around a script name, an upload saved whole
            b"using (var w = new System.IO.StreamWriter(Request.Form[\"p\"])) { w.Write(Request.Form[\"c\"]); }",
            b"File.WriteAllText(Path.Combine(Server.MapPath(\"~/\"), \"x.aspx\"), Request[\"c\"]);",
            b"Request.Files[0].SaveAs(context.Server.MapPath(Request[\"p\"]));",
        ] {
            assert!(holds(Check::RequestToFile, page), "{}", String::from_utf8_lossy(page));
        }
        for page in [
            // a guestbook kept in a text file
            &b"<% Set f = fso.OpenTextFile(Server.MapPath(\"book.txt\"), 8, True)\nf.WriteLine Server.HTMLEncode(Request.Form(\"m\"))\nf.Close %>"[..],
            // an installer splicing the form into its own configuration page
            b"<% Set f = fso.CreateTextFile(Server.MapPath(\"inc/config.asp\"), True)\nf.WriteLine \"<\" & \"% Const DB = \"\"\" & Request.Form(\"db\") & \"\"\" %\" & \">\"\nf.Close %>",
            // an avatar saved under a fixed name
            b"var img = Convert.FromBase64String(Request.Form[\"a\"]);\nSystem.IO.File.WriteAllBytes(Server.MapPath(\"~/App_Data/a.png\"), img);",
            // a script page read in one place, the form appended to a list in another
            b"<% Set t = fso.OpenTextFile(Server.MapPath(\"inc.asp\"), 1)\nExecuteGlobal t.ReadAll\nSet f = fso.OpenTextFile(Server.MapPath(\"list.txt\"), 8, True)\nf.WriteLine Request.Form(\"email\") %>",
            // an upload under its own name in a folder the form picks
            b"Request.Files[0].SaveAs(Server.MapPath(Request[\"folder\"] + \"/\" + Path.GetFileName(Request.Files[0].FileName)));",
        ] {
            assert!(!holds(Check::RequestToFile, page), "{}", String::from_utf8_lossy(page));
        }
    }

    #[test]
    fn server_set_variables_are_no_request_data() {
        let page = b"<%\nFunction IsPage(p)\nIsPage = CBool(InStr(LCase(Request.ServerVariables(\"PATH_TRANSLATED\")), p))\nEnd Function\n\
            x = Eval(IsPage(\"a.asp\") Or IsPage(\"b.asp\"))\n%>";
        assert!(!holds(Check::RequestToExec, page));
        let page = b"<%\nFunction k()\nk = Request.ServerVariables(\"HTTP_X_K\")\nEnd Function\nExecute k()\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%\nFor Each v In Request.ServerVariables\nExecute Request.ServerVariables(v)\nNext\n%>";
        assert!(holds(Check::RequestToExec, page));
    }

    #[test]
    fn a_dispatcher_calls_its_own_objects_members() {
        let rs = b"<script language=\"JavaScript\" runat=\"server\">\nfunction Dispatch(vtbl) {\n\
            var m = Request.QueryString('_method') + '';\n\
            if (typeof(vtbl[m]) != 'function') return;\n\
            var params = 'Request.QueryString(\"p0\").item';\n\
            var d = 'vtbl.' + m + '(' + params + ')';\nvar r = eval(d);\n}\n</script>";
        assert!(!holds(Check::RequestToExec, rs));
        // a statement built around the request is not a member's call, nor is a member's call
        // with request data in its arguments, or one the page never checks
        for shell in [
            &b"<%@ Language=\"JScript\" %><%\nvar d = 'x = ' + Request.Item('c');\neval(d);\n%>"[..],
            b"<%@ Language=\"JScript\" %><%\nvar m = 'abs';\nif (typeof(Math[m]) == 'function') {}\n\
              var d = 'Math.' + m + '(' + Request.Item(\"c\") + ')';\nResponse.Write(eval(d));\n%>",
            b"<%@ Language=\"JScript\" %><%\nvar m = Request.Item('m') + '';\n\
              var d = 'Math.' + m + '(1)';\nResponse.Write(eval(d));\n%>",
        ] {
            assert!(holds(Check::RequestToExec, shell), "{}", String::from_utf8_lossy(shell));
        }
    }

    #[test]
    fn a_wrapper_with_many_parameters_is_read() {
        let outs: Vec<String> = (0..70).map(|i| format!("out int v{i}")).collect();
        let page = format!(
            "<%@ WebHandler Language=\"C#\" Class=\"H\" %>\npublic class H : IHttpHandler {{\n\
             void Run(string proName, {}) {{\n\
             SqlConnection con = new SqlConnection(ConfigurationManager.ConnectionStrings[\"db\"].ConnectionString);\n\
             SqlCommand cmd = new SqlCommand(proName, con);\ncmd.ExecuteNonQuery();\n}}\n}}\n",
            outs.join(", ")
        );
        assert!(!holds(Check::SqlConsole, page.as_bytes()));
        assert!(!holds(Check::RequestToSql, page.as_bytes()));
    }

    #[test]
    fn a_files_text_is_no_request_data() {
        // an include engine: the file's path comes from the session, its text is run
        let inc = b"<%\nSub LoadFiles(list)\nroot = Session(\"Root\")\nFor i = 0 To UBound(list)\n\
            Set f = fso.OpenTextFile(root & list(i), 1)\ncontent = f.ReadAll\nf.Close\n\
            code = Replace(content, \"<\" & \"%\", \"\")\nExecuteGlobal(code)\nNext\nEnd Sub\n%>";
        assert!(!holds(Check::RequestToExec, inc));
        // a loader that runs the file the caller names (an upload disguised as an image)
        let loader = b"<%\nSet t = fso.OpenTextFile(Server.MapPath(Request(\"f\")), 1)\nc = t.ReadAll\nExecute c\n%>";
        assert!(holds(Check::RequestToExec, loader));
        // the request's own body read whole is request data
        let body =
            b"<%\nSet s = Request\ncode = Request.Form(\"c\")\nc2 = Replace(code, \"#\", \"\")\n\
            ExecuteGlobal(c2)\n%>";
        assert!(holds(Check::RequestToExec, body));
    }

    #[test]
    fn data_binding_runs_no_code() {
        // (a browser script's language="javascript" names no server language)
        let client = b"<%@ Page Language=\"C#\" %>\n<td><%#Eval(Request(\"f\"))%></td>\n<script language=\"javascript\" type=\"text/javascript\">var a = 1;</script>";
        assert!(!holds(Check::RequestToExec, client));
        let bind = b"<%@ Page Language=\"VB\" %>\n<td><%# Eval(Request(\"f\")) %></td>";
        assert!(!holds(Check::RequestToExec, bind));
        // without a C# or VB directive opening the page, or where it names JScript, a binding
        // is the page's own language
        let bind = b"<td><%#eval(Request(\"f\"))%></td>";
        assert!(holds(Check::RequestToExec, bind));
        let js = b"<%@ Page Language=\"JScript\" %><script runat=\"server\">function Page_Load(){DataBind();}</script>\
            <%# eval(Request.Item[\"c\"], \"unsafe\") %>";
        assert!(holds(Check::RequestToExec, js));
        let decoy =
            b"<%\nv = \"<%@ Page Language=VB \"\nk = Request(\"z\")\nResponse.Write Eval(k)\n%>";
        assert!(holds(Check::RequestToExec, decoy));
        let cs = b"<%@ Control Language=\"C#\" %><script runat=\"server\">\nstring F() {\n\
            string c = Request[\"c\"];\nreturn (string)Eval(c);\n}\n</script>";
        assert!(!holds(Check::RequestToExec, cs));
        // JScript.NET's eval runs code, and so does VBScript's
        let js = b"<%@ Page Language=\"Jscript\" %><%\nvar c = Request[\"c\"];\neval(c);\n%>";
        assert!(holds(Check::RequestToExec, js));
        let vbs = b"<%@ Language=\"VBScript\" %><%\nc = Request(\"c\")\nEval(c)\n%>";
        assert!(holds(Check::RequestToExec, vbs));
    }

    #[test]
    fn a_script_controls_eval() {
        let page = b"<% Set sc = Server.CreateObject(\"MSScriptControl.ScriptControl\")\nsc.Language = \"JScript\"\nResponse.Write sc.Eval(Request(\"c\")) %>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<script runat=\"server\" language=\"jscript\">\nvar o = Request(\"c\");\nwindow.eval(o);\n</script>";
        assert!(!holds(Check::RequestToExec, page));
    }

    #[test]
    fn names_are_scoped_and_literal_sinks_are_no_calls() {
        // `i` of another procedure decodes; the `i` of this statement is a plain counter.
        let page = b"<%\nFunction d(s)\nFor i = 1 To Len(s)\ni = Asc(Mid(s, i, 1)) Xor 7\nNext\nEnd Function\n\
            Sub t()\ni = 0\nExecute \"arr(i) = \" & i\nEnd Sub\n%>";
        assert!(!holds(Check::DecoderExec, page));
        // A name inside an executed literal is code too: Execute(c & "(s)").
        let page =
            b"<%\ns = Request(\"z\")\nc = \"Ex\" & \"ecute\"\nExecuteGlobal(c & \"(s)\")\n%>";
        assert!(holds(Check::RequestToExec, page));
        // Code a generator writes out is no call: x = "Execute d(" & s & ")".
        let page = b"<%\nFunction d(s)\nd = Chr(Asc(s) Xor 7)\nEnd Function\nout = \"Execute d(\" & q & \")\"\n%>";
        assert!(!holds(Check::DecoderExec, page));
        // The words of a long literal are text, not names: the script a page hands its script
        // control does not read the page's decoder variables.
        let page = b"<%\nFunction d(s)\nd = Chr(Asc(s) Xor 7)\nEnd Function\narr = d(q)\n\
            sc.AddCode \"var itemTemp=null;function getJSArray(arr, index){itemTemp=arr[index];}\"\n%>";
        assert!(!holds(Check::DecoderExec, page));
        let page = b"<%\nFunction d(s)\nd = Chr(Asc(s) Xor 7)\nEnd Function\narr = d(q)\nsc.AddCode \"f(\" & arr & \")\"\n%>";
        assert!(holds(Check::DecoderExec, page));
        // The decoder called from global code is reached through its name.
        let page = b"<%\nFunction d(s)\nd = Chr(Asc(s) Xor 7)\nEnd Function\nExecute d(x)\n%>";
        assert!(holds(Check::DecoderExec, page));
        // A minus after Chr closes is no arithmetic of a character: a library's index helper
        // whose result a dispatcher's argument list passes through.
        let page = b"<%\nFunction IfThen(b, x, y)\nIf b Then IfThen = x Else IfThen = y\nEnd Function\n\
            Function jsIndexOf(s, t)\nDim p:p = InStr(Chr(0) & s, t):jsIndexOf = IfThen(p = 0, -1, p - 1)\nEnd Function\n\
            Function callf(n, a)\nDim i, v\nFor i = 0 To UBound(a)\nv = v & IfThen(v <> \"\", \", \", \"\") & \"a(\" & i & \")\"\nNext\n\
            Execute(\"r=\" & n & \"(\" & v & \")\")\nEnd Function\n%>";
        assert!(!holds(Check::DecoderExec, page));
        let page = b"<%\nFunction d(s)\nFor i = 1 To Len(s)\nd = d & Chr(Asc(Mid(s, i, 1)) - 1)\nNext\nEnd Function\nExecute d(q)\n%>";
        assert!(holds(Check::DecoderExec, page));
    }

    #[test]
    fn relays() {
        // An SEO relay: what a URL built with the visitor's host returns, written as it is.
        let page = b"<%\nr = \"http://203.0.113.9/\"\nh = Request.ServerVariables(\"HTTP_HOST\")\n\
            c = GetHtml(r & \"?h=\" & h)\nResponse.Write c\n\
            Function GetHtml(u)\nSet x = CreateObject(\"MSXML2.ServerXMLHTTP\")\nx.Open \"GET\", u, False\n\
            x.send\nGetHtml = x.responseText\nEnd Function\n%>";
        assert!(holds(Check::VisitorRelay, page));
        // An update check: the answer is parsed and shown inside markup.
        let page = b"<%\nd = Request.ServerVariables(\"SERVER_NAME\")\nx.open \"GET\", \"http://a/?d=\" & d\n\
            t = x.ResponseText\nid = Left(t, 4)\nResponse.Write \"<b>\" & id & \"</b>\"\n%>";
        assert!(!holds(Check::VisitorRelay, page));
        // The same relay in C#, the fetch in a method.
        let page = b"<%@ Page Language=\"C#\" %><script runat=\"server\">\n\
            public string GetHttp(string url) {\n var r = WebRequest.Create(url).GetResponse();\n\
            return new StreamReader(r.GetResponseStream()).ReadToEnd();\n}\n\
            protected void Page_Load(object s, EventArgs e) {\n\
            string h = \"http://x/?h=\" + Request.ServerVariables[\"HTTP_HOST\"];\n\
            string c = GetHttp(h);\nResponse.Write(c);\n}\n</script>";
        assert!(holds(Check::VisitorRelay, page));
        // The answer written by `<%= %>` in the markup, and a fetched stream copied into the
        // response.
        let page = b"<%\nh = Request.ServerVariables(\"HTTP_HOST\")\nc = GetHtml(\"http://x/?h=\" & h)\n\
            Function GetHtml(u)\nSet x = CreateObject(\"MSXML2.ServerXMLHTTP\")\nx.Open \"GET\", u, False\n\
            x.send\nGetHtml = x.responseText\nEnd Function\n%><html><%= c %></html>";
        assert!(holds(Check::VisitorRelay, page));
        assert!(holds(Check::FetchedRelay, page));
        let page = b"<%@ Page Language=\"C#\" %><script runat=\"server\">\n\
            protected void Page_Load(object s, EventArgs e) {\n\
            var r = WebRequest.Create(\"http://x/\" + Request.Url.PathAndQuery).GetResponse();\n\
            Stream body = r.GetResponseStream();\nbody.CopyTo(Response.OutputStream);\n}\n</script>";
        assert!(holds(Check::FetchedRelay, page));
        // `<%= %>` of the page's own value, and a copy of a file into the response.
        let page = b"<%\nt = x.responseText\nn = Len(title)\n%><b><%= n %></b><%= Date() %>";
        assert!(!holds(Check::FetchedRelay, page));
        let page = b"<script runat=\"server\">\nvoid Page_Load() {\n\
            Stream f = File.OpenRead(MapPath(\"a.pdf\"));\nf.CopyTo(Response.OutputStream);\n}\n</script>";
        assert!(!holds(Check::FetchedRelay, page));
    }

    #[test]
    fn browser_scripts_and_markup_run_nothing_on_the_server() {
        // eval in a browser script of a classic ASP page, fed by a value the server printed.
        let page = b"<% q = Request(\"q\") %><script>\nvar v = '<%= q %>';\neval(v);\n</script>";
        assert!(!holds(Check::RequestToExec, page));
        // the same eval in a server script element is the server's
        let page = b"<script runat=\"server\" language=\"JScript\">\nvar v = Request.Item(\"q\");\neval(v);\n</script>";
        assert!(holds(Check::RequestToExec, page));
        // a handler's code follows its directive, with no delimiters
        let page = b"<%@ WebHandler Language=\"JScript\" Class=\"H\" %>\nclass H { function ProcessRequest(context) {\n\
            var v = context.Request.Form(\"q\");\neval(v);\n} }";
        assert!(holds(Check::RequestToExec, page));
        // the tag and the first statement on one line; a long tag
        let page = b"<script language=vbscript runat=server>Execute Request(\"c\")</script>";
        assert!(holds(Check::RequestToExec, page));
        let pad = "x".repeat(400);
        let page = format!("<script data-a=\"{pad}\" runat=\"server\" language=\"vbscript\">\nExecute Request(\"c\")\n</script>");
        assert!(holds(Check::RequestToExec, page.as_bytes()));
        // a block left open runs to the end of the page
        assert!(holds(Check::RequestToExec, b"<%eval request(\"z\")"));
    }

    #[test]
    fn a_database_helper_called_execute_is_no_statement() {
        // The application's own `Function Execute(sql)` from an include, used as a value.
        let page =
            b"<%\nid = Request(\"id\")\nSet rs = Execute(\"select * from t where id=\" & id)\n\
            Execute(\"update [t] Set n=n+1 where id=\" & id)\n%>";
        assert!(!holds(Check::RequestToExec, page));
        // SQL handed to Execute without the helper in sight
        let page = b"<%\nid = Request(\"id\")\nExecute(\"delete from [t] where id=\" & id)\n%>";
        assert!(!holds(Check::RequestToExec, page));
        // ExecuteGlobal stays the statement; Execute of request code stays one
        let page = b"<%\nSet rs = Execute(\"select 1 from t\")\nExecuteGlobal Request(\"c\")\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%\nc = Request(\"c\")\nExecute(c)\n%>";
        assert!(holds(Check::RequestToExec, page));
        // a decoy in a comment or in markup switches nothing off
        let page = b"<a onclick=\"r=execute(1)\">x</a><%\n' Set rs = Execute(sql)\nExecute(Request(\"c\"))\n%>";
        assert!(holds(Check::RequestToExec, page));
        // `select case` is VBScript, not SQL
        let page =
            b"<%\nExecute \"select case 1: case else: from=1: end select: \" & Request(\"c\")\n%>";
        assert!(holds(Check::RequestToExec, page));
        // a procedure on one line, called with request data
        let page =
            b"<%Function xxxx(str) eval str End Function%><%D = request(\"ant\")%><%xxxx D%>";
        assert!(holds(Check::RequestToExec, page));
        // a dispatcher: the request picks which of the page's own procedures runs
        let page = b"<%\nk = Request(\"k\")\nExecute \"call bill_Window_\" & k & \" ( ap ) \"\n%>";
        assert!(!holds(Check::RequestToExec, page));
        // (a call of whatever the request names is no dispatcher, nor a prefix it completes)
        let page = b"<%\nk = Request(\"k\")\nExecute \"call \" & k\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%\nExecute \"call e\" & Request(\"k\")\n%>";
        assert!(holds(Check::RequestToExec, page));
        // an expression the request sends after a hex prefix is code
        let page = b"<%\ns = Eval(\"&H\" & Request(\"h\"))\n%>";
        assert!(holds(Check::RequestToExec, page));
        // a number read from hex digits the request sent
        let page = b"<%\nh = Request(\"h\")\ns = ChrW(Eval(\"&H\" & h))\n%>";
        assert!(!holds(Check::RequestToExec, page));
    }

    #[test]
    fn a_console_runs_the_sql_its_caller_typed() {
        let page = b"<%\ncs = Request(\"cs\")\nq = Trim(Request.Form(\"sql\"))\n\
            Set conn = Server.CreateObject(\"ADODB.Connection\")\nconn.Open cs\nSet rs = conn.Execute(q)\n%>";
        assert!(holds(Check::SqlConsole, page));
        let page = b"string c = txtConn.Text;\nvar conn = new SqlConnection(c);\nvar cmd = new SqlCommand(txtSql.Text, conn);";
        assert!(holds(Check::SqlConsole, page));
        // An import page: the file to read comes from the request, the SQL is its own.
        let page = b"<%\nf = Request(\"file\")\nSet conn = Server.CreateObject(\"ADODB.Connection\")\n\
            cs = \"Driver={Microsoft Excel Driver (*.xls)};DBQ=\" & Server.MapPath(f)\nconn.Open cs\n\
            Set rs = conn.Execute(\"select * from [\" & Request(\"sheet\") & \"$]\")\n%>";
        assert!(holds(Check::RequestToConnection, page));
        assert!(!holds(Check::SqlConsole, page));
        // Request values spliced into the page's own statement, through variables, on the
        // database file the request names.
        let page = b"<%\ncs = \"Provider=Microsoft.Jet.OLEDB.4.0;Data Source=\" & Server.MapPath(Request(\"db\"))\nSet conn = CreateObject(\"ADODB.Connection\")\nconn.Open cs\nt = Request(\"t\")\n\
            q = \"INSERT INTO \" & t & \" VALUES (1)\"\nconn.Execute(q)\n%>";
        assert!(!holds(Check::SqlConsole, page));
        // The caller sends the whole connection string, and SQL with an empty literal appended.
        let page =
            b"<%\nSet conn = CreateObject(\"ADODB.Connection\")\nconn.Open Request(\"cs\")\n\
            Set rs = conn.Execute(Request(\"q\") & \"\")\n%>";
        assert!(holds(Check::SqlConsole, page));
        // A dumper: the caller names the server and the account, and the table to read.
        let page = b"string h = Request[\"h\"]; string t = Request[\"t\"];\n\
            string cs = \"server=\" + h + \";uid=sa\";\nvar conn = new SqlConnection(cs);\n\
            string q = \"select * from \" + t;\nvar cmd = new SqlCommand(q, conn);";
        assert!(holds(Check::SqlConsole, page));
        // An install page: connects where its form says, deletes its admin by a quoted name.
        let page = b"<%\nh = Request.Form(\"SqlHostIP\")\nu = Request.Form(\"admin_user\")\n\
            cs = \"Provider=Sqloledb; Data Source=\" & h & \"; User ID=sa\"\nSet conn = CreateObject(\"ADODB.Connection\")\n\
            conn.Open cs\nconn.Execute(\"delete from userdetail where u_name='\" & u & \"'\")\n%>";
        assert!(!holds(Check::SqlConsole, page));
        // the typed SQL copied once more before it runs
        let page = b"<%\ncs = Request(\"cs\")\nSet conn = CreateObject(\"ADODB.Connection\")\nconn.Open cs\n\
            t = Request(\"t\")\nq = t\nconn.Execute(q)\n%>";
        assert!(holds(Check::SqlConsole, page));
    }

    #[test]
    fn literals_keep_their_colons() {
        let st = statements(b"x = \"http://a;b\" & y: z = 1");
        assert_eq!(st.len(), 2);
    }
}
