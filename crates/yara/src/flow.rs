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

use std::collections::HashMap;
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
    /// A database connection is opened with a connection string fed by the request (or a
    /// text box of the page).
    RequestToConnection,
}

impl Check {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "request-to-exec" => Check::RequestToExec,
            "assembled-exec" => Check::AssembledExec,
            "decoder-exec" => Check::DecoderExec,
            "request-to-connection" => Check::RequestToConnection,
            "visitor-relay" => Check::VisitorRelay,
            _ => return None,
        })
    }

    /// What a holding check says about its sink, for the finding's evidence.
    pub fn describe(self) -> &'static str {
        match self {
            Check::RequestToExec => "data flow: request data reaches this Execute/Eval",
            Check::AssembledExec => "data flow: text assembled at run time reaches this Execute/Eval",
            Check::DecoderExec => "data flow: a decoder's output reaches this Execute/Eval",
            Check::VisitorRelay => {
                "data flow: a page fetched with the visitor's request values is written here as it is"
            }
            Check::RequestToConnection => {
                "data flow: request data reaches this database connection string"
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
/// this many definitions in all: the reading stays linear in the page.
const MAX_PARAMS: usize = 64;
const MAX_DEFS: usize = 65_536;
/// C# methods and JScript functions whose bodies are matched (each a scan to its closing brace).
const MAX_BODIES: usize = 2_048;

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
        let page = self.page.get_or_insert_with(|| Page::read(data));
        let a = check_page(page, check);
        self.answers.push((check, a.clone()));
        a
    }
}

fn check_page(page: &Page<'_>, check: Check) -> Option<Range<usize>> {
    let data = page.data;
    let (sinks, patterns): (&Regex, &[&Regex]) = match check {
        Check::RequestToExec => (&EXEC_SINK, &[&REQUEST]),
        Check::AssembledExec => (&EXEC_SINK, &[&ASSEMBLY]),
        Check::DecoderExec => (&EXEC_SINK, &[&DECODER]),
        Check::RequestToConnection => (&CONN_SINK, &[&REQUEST_OR_BOX]),
        Check::VisitorRelay => (&RELAY_SINK, &[&FETCHED, &VISITOR]),
    };
    // With one pattern, a name whose definitions were searched without a match needs no second
    // search from a later sink (unless that sink reaches it in fewer steps); with two, each sink
    // starts afresh, since what one sink's slice found is not another's.
    let mut memo = Memo::new();
    let mut budget = MAX_WORK;
    let found = page.statements.iter().find(|(st, scope)| {
        let text = &data[st.clone()];
        // A commented-out line runs nothing.
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
            if in_literal(&text[..at]) {
                continue;
            }
            // `x.Open arg` opens a connection only when `x` is one (`rs.Open sql, conn` runs SQL).
            if let Some(recv) = c.name("recv") {
                if !page.defined_as(recv.as_bytes(), *scope, &CONNECTION) {
                    continue;
                }
            }
            let arg = (1..c.len())
                .filter(|&i| c.name("recv").is_none_or(|r| c.get(i) != Some(r)))
                .find_map(|i| c.get(i))
                .map_or(&[][..], |m| m.as_bytes());
            if patterns.len() > 1 {
                memo.clear();
            }
            // A page too large or too tangled for the reading: the hit stands on its strings.
            let r = page.saturated
                || page
                    .slice_has_all(arg, *scope, patterns, &mut memo, &mut budget)
                    .unwrap_or(true);
            if r {
                tracing::trace!(?check, sink = %String::from_utf8_lossy(text), "data-flow check holds");
                return true;
            }
        }
        false
    });
    found.map(|(st, _)| st.clone())
}

static EXEC_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)(?:^|[^.\w])(?:execute|executeglobal|eval)\b\s*\(?(.+)$").unwrap()
});
static CONN_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)(?:(?P<recv>[a-z_]\w*)\s*\.Open\b\s*\(?\s*([a-z_]\w*(?:\s*\(\s*[^()]*\))?)\s*\)?\s*(?:,|$)|(?:Sql|OleDb|Odbc)Connection\s*\(\s*([^)]+)\)|\.ConnectionString\s*=\s*(.+)$)",
    )
    .unwrap()
});
/// `Response.Write x` or `Response.Write(f(y))`: one value written as it is, not a string of
/// markup with a value in it.
static RELAY_SINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)Response\s*\.\s*(?:Write|BinaryWrite)\s*\(?\s*([a-z_][\w.]*(?:\s*\([^()]*\))?)\s*\)?\s*$",
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
/// body, and the session the request filled. (`request.responseText` of a browser script's
/// XMLHttpRequest named `request` is not it.)
const REQUEST_SRC: &str = r"(?:^|[^.\w])(?:request\s*(?:[(\[]|\.\s*(?:form|querystring|item|params|cookies|headers|servervariables|files|inputstream|binaryread|getbufferlessinputstream)\b)|session\b\s*(?:[.(\[]|$))";
static REQUEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("(?i-u){REQUEST_SRC}")).unwrap());
static REQUEST_OR_BOX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i-u)(?:{REQUEST_SRC}|\w\.Text\b)")).unwrap());
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
        // junk stripped out: Replace(x, "0", "")
        r"|replace\s*\(\s*[a-z_]\w*\s*,\s*\x22[^\x22\r\n]{1,4}\x22\s*,\s*\x22\x22\s*\)",
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
        r"chr[wb]?\s*\([^\r\n]{0,60}(?:\bxor\b|[-+]\s*[0-9]|-\s*[a-z_(])",
        r"|asc[wb]?\s*\(\s*mid[b]?\s*\(",
        r"|strreverse\s*\(",
        r"|replace\s*\(\s*[a-z_]\w*\s*,\s*\x22[^\x22\r\n]{1,4}\x22\s*,\s*\x22\x22\s*\)",
        // hex pairs turned into characters: Chr("&H" & Mid(s, i, 2))
        r"|chr[wb]?\s*\(\s*(?:c(?:lng|int|byte)\s*\(\s*)?\x22&h\x22\s*&",
        // a substitution alphabet: a character taken with Mid and looked up with InStr
        r"|mid[b]?\s*\([^()]*\)(?s:.{0,200})instr[b]?\s*\(",
        // an alphabet to pick from, and the picks: Execute(d(6)&d(10)&d(9)&…)
        r"|array\s*\(\s*(?:\x22[^\x22\r\n]{1,2}\x22\s*,\s*){12}",
        r"|(?:[a-z_]\w{0,10}\s*\(\s*[0-9]{1,3}\s*\)\s*&\s*){4}",
        r")"
    ))
    .unwrap()
});
static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)^\s*(?:(?:set|dim|var|const|let|[a-z_][\w.]*(?:<[^>=]*>)?(?:\[\])?)\s+)?([a-z_]\w*)\s*(?:\((?:[^()=]|\([^()]*\))*\))?\s*[+&]?=([^=].*)$",
    )
    .unwrap()
});
/// A value stored into a collection (`d.Add k, v`, `d.Item(k) = v`) or handed to a request
/// object (`h.Open "GET", url`, `h.Send body`): the object is then defined by what it was given.
static STORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*([a-z_]\w*)\s*\.\s*(?:add|item|setitem|insert|push|open|send|setrequestheader)\b\s*\(?(.+)$").unwrap()
});
static FUNC_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)^\s*(?:(?:public|private)\s+)?(?:function|sub)\s+([a-z_]\w*)\s*(?:\(([^()]*)\))?",
    )
    .unwrap()
});
static FUNC_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)^\s*end\s+(?:function|sub)\b").unwrap());
static CS_METHOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)^[ \t]*(?:(?:public|private|protected|internal|static|override|virtual|async)\s+)+[\w<>\[\],.]+\s+([A-Za-z_]\w*)\s*\(([^()]*)\)\s*\{",
    )
    .unwrap()
});
static JS_FUNCTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)\bfunction\s+([A-Za-z_]\w*)\s*\(([^()]*)\)\s*\{").unwrap());
static CONNECTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i-u)connection|\.Connection\b|ActiveConnection").unwrap());
static THEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i-u)\sthen\s").unwrap());
static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?-u)[A-Za-z_]\w*").unwrap());

/// A name in its scope, and the texts (each with the scope its names resolve in) defining it.
type Defs = HashMap<(usize, Vec<u8>), Vec<(Range<usize>, usize)>>;

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
}

impl<'a> Page<'a> {
    fn read(data: &'a [u8]) -> Self {
        let cut = statements(data);
        let mut statements = Vec::with_capacity(cut.len());
        let mut defs: Defs = HashMap::new();
        let mut ndefs = 0usize;
        let mut saturated = false;
        let mut open_fn: Option<(Vec<u8>, usize, usize)> = None;
        let mut procs = 0usize;
        // Procedures with their parameters and the scope those live in.
        let mut params: HashMap<Vec<u8>, (Vec<Vec<u8>>, usize)> = HashMap::new();
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
                params.insert(c[1].to_ascii_lowercase(), (param_names(list), procs));
                open_fn = Some((c[1].to_ascii_lowercase(), st.end, procs));
                continue;
            }
            let scope = open_fn.as_ref().map_or(0, |f| f.2);
            let mut define = |name: &[u8], r: Range<usize>| {
                let key = (scope, name.to_ascii_lowercase());
                add(
                    &mut defs,
                    &mut ndefs,
                    key,
                    (st.start + r.start..st.start + r.end, scope),
                );
            };
            let has_eq = memchr::memchr(b'=', text).is_some();
            if !has_eq && memchr::memchr(b'.', text).is_none() {
                statements.push((st, scope));
                continue;
            }
            if let Some(c) = STORE.captures(text) {
                let (name, args) = (c.get(1).unwrap(), c.get(2).unwrap());
                define(name.as_bytes(), args.range());
            }
            if let Some(c) = has_eq.then(|| ASSIGN.captures(text)).flatten() {
                let (name, rhs) = (c.get(1).unwrap(), c.get(2).unwrap());
                define(name.as_bytes(), rhs.range());
            }
            // `If cond Then x = …` on one line: the assignment after `Then`.
            if let Some(then) = has_eq.then(|| THEN.find(text)).flatten() {
                let tail = &text[then.end()..];
                if let Some(c) = ASSIGN.captures(tail) {
                    let (name, rhs) = (c.get(1).unwrap(), c.get(2).unwrap());
                    let off = then.end();
                    define(name.as_bytes(), off + rhs.start()..off + rhs.end());
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
        for re in [&*CS_METHOD, &*JS_FUNCTION] {
            for m in re.find_iter(data) {
                if headers.len() == MAX_BODIES {
                    saturated = true;
                    break;
                }
                if let Some(c) = re.captures(m.as_bytes()) {
                    let list = c.get(2).map_or(&[][..], |m| m.as_bytes());
                    saturated |= list.split(|&b| b == b',').count() > MAX_PARAMS;
                    headers.push((c[1].to_ascii_lowercase(), param_names(list), m.end() - 1));
                }
            }
        }
        let ends = block_ends(data, headers.iter().map(|h| h.2));
        for ((name, names, open), end) in headers.into_iter().zip(ends) {
            params.entry(name.clone()).or_insert((names, 0));
            add(&mut defs, &mut ndefs, (0, name), (open..end, 0));
        }
        // A call hands its arguments to the procedure's parameters: `run(t)` defines `x` of
        // `function run(x)` by `t` (every parameter by the whole argument text).
        if !params.is_empty() {
            for (st, scope) in &statements {
                let text = &data[st.clone()];
                for w in WORD.find_iter(text) {
                    let Some((names, fscope)) = params.get(&w.as_bytes().to_ascii_lowercase())
                    else {
                        continue;
                    };
                    let args = st.start + w.end()..st.end;
                    for p in names {
                        let def = (args.clone(), *scope);
                        add(&mut defs, &mut ndefs, (*fscope, p.clone()), def);
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
        }
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

    /// Does each of `patterns` occur in `expr` (a text of scope `scope`) or in the definitions
    /// it reaches?
    fn slice_has_all(
        &self,
        expr: &[u8],
        scope: usize,
        patterns: &[&Regex],
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
            if depth >= MAX_DEPTH {
                continue;
            }
            for w in WORD.find_iter(text) {
                let name = w.as_bytes().to_ascii_lowercase();
                let key = if self.defs.contains_key(&(scope, name.clone())) {
                    (scope, name)
                } else {
                    (0, name)
                };
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

/// One more definition, unless the page already has [`MAX_DEFS`].
fn add(defs: &mut Defs, ndefs: &mut usize, key: (usize, Vec<u8>), def: (Range<usize>, usize)) {
    if *ndefs < MAX_DEFS {
        *ndefs += 1;
        defs.entry(key).or_default().push(def);
    }
}

/// Could `text` open a VBScript procedure (`Function`, `Sub`)? A cheap test before the regex.
fn may_start_procedure(text: &[u8]) -> bool {
    let mut t = text.trim_ascii_start();
    for access in [&b"public"[..], b"private"] {
        let n = access.len();
        if t.len() > n && t[..n].eq_ignore_ascii_case(access) && t[n].is_ascii_whitespace() {
            t = t[n..].trim_ascii_start();
        }
    }
    t.len() > 4
        && (t[..4].eq_ignore_ascii_case(b"func")
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
                Some(if data.get(i + 2) == Some(&b'=') { 3 } else { 2 })
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

fn push(out: &mut Vec<Range<usize>>, data: &[u8], start: usize, end: usize) {
    if data[start..end].iter().any(|b| !b.is_ascii_whitespace()) {
        out.push(start..end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_reaches_execute_through_variables_and_functions() {
        let page = b"<%\nk = Request(\"a\")\nx = Trim(k)\nExecute(x)\n%>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<% a=request(\"z\"):b=a:eval b %>";
        assert!(holds(Check::RequestToExec, page));
        let page = b"<%\nFunction g()\n g = Session(\"p\")\nEnd Function\nExecuteGlobal g()\n%>";
        assert!(holds(Check::RequestToExec, page));
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
        // Through a dictionary: d.Add k, Session(k) … Execute(d(k)).
        let page = b"<%\nd.Add n, Session(n)\nExecute(d(n))\n%>";
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
        // The decoder called from global code is reached through its name.
        let page = b"<%\nFunction d(s)\nd = Chr(Asc(s) Xor 7)\nEnd Function\nExecute d(x)\n%>";
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
    }

    #[test]
    fn literals_keep_their_colons() {
        let st = statements(b"x = \"http://a;b\" & y: z = 1");
        assert_eq!(st.len(), 2);
    }
}
