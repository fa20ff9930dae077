//! What a compiled ASP.NET assembly in `Temporary ASP.NET Files` (`App_Web_*.dll`,
//! `App_global.asax.*.dll`) still says after the `.aspx` was deleted, read from its .NET metadata
//! (ECMA-335 partition II §22 and §24):
//!
//! * the page classes ASP.NET generates, `ASP.<app-relative path with '_'>_aspx`
//!   (`ASP.auth_outlooken_aspx`), from the TypeDef table;
//! * the virtual paths the generated constructor stores, `AppRelativeVirtualPath = "~/auth/x.aspx"`
//!   and the `__fileDependencies` list, from the user-string heap (`#US`, UTF-16);
//! * the framework members the page's code calls (`System.Diagnostics.Process::Start`,
//!   `System.Reflection.Assembly::Load(byte[])`, `Microsoft.JScript.Eval::JScriptEvaluate`,
//!   `System.Web.HttpRequest::BinaryRead`, …): member references survive compilation, with the
//!   parameter types in their signature.
//!
//! The PE container is read with `object`; the metadata root, streams and the first eleven
//! tables here. Every offset is bounds-checked; counts and string lengths are capped, so a
//! damaged or hostile file gives `None` or a partial answer, never a panic or a large allocation.

use object::pe::IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR;
use object::read::pe::{ImageNtHeaders, PeFile};
use object::LittleEndian as LE;

/// At most this many user strings are kept (a page has a few dozen).
const MAX_USER_STRINGS: usize = 20_000;
/// Longer user strings are cut to this many UTF-16 units.
const MAX_USER_STRING_UNITS: usize = 1024;
/// Tables with more rows than this are not read (compiled pages have hundreds at most).
const MAX_ROWS: u32 = 1 << 20;

/// A type, by namespace and name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeName {
    pub namespace: String,
    pub name: String,
}

impl TypeName {
    pub fn full(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.namespace, self.name)
        }
    }
    fn is(&self, namespace: &str, name: &str) -> bool {
        self.namespace == namespace && self.name == name
    }
}

/// A member reference: the type it belongs to (when that is a TypeRef or TypeDef), its name, and
/// its signature blob.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberRef {
    pub parent: Option<TypeName>,
    pub name: String,
    pub signature: Vec<u8>,
}

impl MemberRef {
    fn is(&self, namespace: &str, type_name: &str, name: &str) -> bool {
        self.name == name
            && self
                .parent
                .as_ref()
                .is_some_and(|p| p.is(namespace, type_name))
    }
    /// Does the signature take a `byte[]` (`SZARRAY U1`) parameter?
    fn takes_bytes(&self) -> bool {
        self.signature.windows(2).any(|w| w == [0x1D, 0x05])
    }
}

/// The metadata of a .NET assembly that the judgement needs.
#[derive(Clone, Debug, Default)]
pub struct Metadata {
    pub types: Vec<TypeName>,
    /// The base type of each entry of `types` (None: none, or a generic instance).
    pub bases: Vec<Option<TypeName>>,
    /// (index into `types`, interface) pairs of the InterfaceImpl table.
    pub interfaces: Vec<(usize, TypeName)>,
    pub type_refs: Vec<TypeName>,
    pub member_refs: Vec<MemberRef>,
    pub user_strings: Vec<String>,
}

/// Read the metadata of a .NET PE file; `None` when it is not one or is damaged beyond reading.
pub fn read(data: &[u8]) -> Option<Metadata> {
    let md = match object::FileKind::parse(data).ok()? {
        object::FileKind::Pe32 => metadata_bytes::<object::pe::ImageNtHeaders32>(data)?,
        object::FileKind::Pe64 => metadata_bytes::<object::pe::ImageNtHeaders64>(data)?,
        _ => return None,
    };
    parse_metadata(md)
}

/// The metadata block the CLI header (IMAGE_COR20_HEADER) points at.
fn metadata_bytes<H: ImageNtHeaders>(data: &[u8]) -> Option<&[u8]> {
    let pe = PeFile::<H>::parse(data).ok()?;
    let dir = pe.data_directory(IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR)?;
    let sections = pe.section_table();
    let cli = sections.pe_data_at(data, dir.virtual_address.get(LE))?;
    // cb, major, minor, then MetaData {rva, size}.
    let rva = u32_at(cli, 8)?;
    let size = u32_at(cli, 12)? as usize;
    let md = sections.pe_data_at(data, rva)?;
    md.get(..size.min(md.len()))
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// The streams of the metadata root (§II.24.2.1–2).
#[derive(Default)]
struct Streams<'d> {
    tables: &'d [u8],
    strings: &'d [u8],
    blob: &'d [u8],
    us: &'d [u8],
}

fn streams(md: &[u8]) -> Option<Streams<'_>> {
    if u32_at(md, 0)? != 0x424A_5342 {
        return None; // "BSJB"
    }
    let vlen = u32_at(md, 12)? as usize;
    let mut at = 16usize.checked_add(vlen)?;
    let count = u16_at(md, at + 2)?;
    at += 4;
    let mut s = Streams::default();
    for _ in 0..count.min(16) {
        let off = u32_at(md, at)? as usize;
        let size = u32_at(md, at + 4)? as usize;
        let name_start = at + 8;
        let name_len = md
            .get(name_start..)?
            .iter()
            .take(32)
            .position(|&b| b == 0)?;
        let name = md.get(name_start..name_start + name_len)?;
        at = name_start + (name_len + 4) / 4 * 4;
        let body = md.get(off..off.checked_add(size)?.min(md.len()))?;
        match name {
            b"#~" | b"#-" => s.tables = body,
            b"#Strings" => s.strings = body,
            b"#Blob" => s.blob = body,
            b"#US" => s.us = body,
            _ => {}
        }
    }
    Some(s)
}

/// A column of a metadata table.
#[derive(Clone, Copy)]
enum Col {
    U16,
    U32,
    Str,
    Guid,
    Blob,
    /// Index into one table.
    Table(usize),
    /// Coded index over tables (§II.24.2.6); the tag takes `bits` bits.
    Coded(&'static [usize], u32),
}

const TYPE_DEF_OR_REF: Col = Col::Coded(&[0x02, 0x01, 0x1B], 2);
const RESOLUTION_SCOPE: Col = Col::Coded(&[0x00, 0x1A, 0x23, 0x01], 2);
const MEMBER_REF_PARENT: Col = Col::Coded(&[0x02, 0x01, 0x1A, 0x06, 0x1B], 3);

/// Tables 0x00 (Module) to 0x0A (MemberRef): all that lies before MemberRef.
const SCHEMA: &[&[Col]] = &[
    &[Col::U16, Col::Str, Col::Guid, Col::Guid, Col::Guid], // Module
    &[RESOLUTION_SCOPE, Col::Str, Col::Str],                // TypeRef
    &[
        Col::U32,
        Col::Str,
        Col::Str,
        TYPE_DEF_OR_REF,
        Col::Table(0x04),
        Col::Table(0x06),
    ], // TypeDef
    &[Col::Table(0x04)],                                    // FieldPtr
    &[Col::U16, Col::Str, Col::Blob],                       // Field
    &[Col::Table(0x06)],                                    // MethodPtr
    &[
        Col::U32,
        Col::U16,
        Col::U16,
        Col::Str,
        Col::Blob,
        Col::Table(0x08),
    ], // MethodDef
    &[Col::Table(0x08)],                                    // ParamPtr
    &[Col::U16, Col::U16, Col::Str],                        // Param
    &[Col::Table(0x02), TYPE_DEF_OR_REF],                   // InterfaceImpl
    &[MEMBER_REF_PARENT, Col::Str, Col::Blob],              // MemberRef
];

struct Tables<'d> {
    rows: [u32; 64],
    heap_sizes: u8,
    /// Start of each of the first tables inside the tables stream.
    starts: [usize; 11],
    data: &'d [u8],
}

impl Tables<'_> {
    fn width(&self, c: Col) -> usize {
        let wide = |bit: u8| if self.heap_sizes & bit != 0 { 4 } else { 2 };
        match c {
            Col::U16 => 2,
            Col::U32 => 4,
            Col::Str => wide(0x01),
            Col::Guid => wide(0x02),
            Col::Blob => wide(0x04),
            Col::Table(t) => {
                if self.rows[t] < 1 << 16 {
                    2
                } else {
                    4
                }
            }
            Col::Coded(ts, bits) => {
                let max = ts.iter().map(|&t| self.rows[t]).max().unwrap_or(0);
                if max < 1 << (16 - bits) {
                    2
                } else {
                    4
                }
            }
        }
    }
    fn row_width(&self, t: usize) -> usize {
        SCHEMA[t].iter().map(|&c| self.width(c)).sum()
    }
    /// The columns of row `i` (0-based) of table `t`.
    fn row(&self, t: usize, i: u32) -> Option<Vec<u32>> {
        let w = self.row_width(t);
        let mut at = self.starts[t].checked_add(w.checked_mul(i as usize)?)?;
        let mut out = Vec::with_capacity(SCHEMA[t].len());
        for &c in SCHEMA[t] {
            let v = match self.width(c) {
                2 => u32::from(u16_at(self.data, at)?),
                _ => u32_at(self.data, at)?,
            };
            at += self.width(c);
            out.push(v);
        }
        Some(out)
    }
}

fn tables(s: &[u8]) -> Option<Tables<'_>> {
    let heap_sizes = *s.get(6)?;
    let valid = u64::from_le_bytes(s.get(8..16)?.try_into().ok()?);
    let mut rows = [0u32; 64];
    let mut at = 24usize;
    for (t, r) in rows.iter_mut().enumerate() {
        if valid & (1 << t) != 0 {
            *r = u32_at(s, at)?;
            if *r > MAX_ROWS {
                return None;
            }
            at += 4;
        }
    }
    if heap_sizes & 0x40 != 0 {
        at += 4; // extra data
    }
    let mut t = Tables {
        rows,
        heap_sizes,
        starts: [0; 11],
        data: s,
    };
    for i in 0..SCHEMA.len() {
        t.starts[i] = at;
        at = at.checked_add(t.row_width(i).checked_mul(t.rows[i] as usize)?)?;
    }
    (at <= s.len()).then_some(t)
}

fn heap_str(strings: &[u8], i: u32) -> String {
    let Some(rest) = strings.get(i as usize..) else {
        return String::new();
    };
    let end = rest.iter().take(1024).position(|&b| b == 0).unwrap_or(0);
    String::from_utf8_lossy(&rest[..end]).into_owned()
}

/// A compressed unsigned integer (§II.23.2) at `at`: its value and length.
fn compressed(d: &[u8], at: usize) -> Option<(usize, usize)> {
    let b0 = *d.get(at)?;
    if b0 & 0x80 == 0 {
        Some((usize::from(b0), 1))
    } else if b0 & 0xC0 == 0x80 {
        Some((
            (usize::from(b0 & 0x3F) << 8) | usize::from(*d.get(at + 1)?),
            2,
        ))
    } else if b0 & 0xE0 == 0xC0 {
        let b = d.get(at + 1..at + 4)?;
        Some((
            (usize::from(b0 & 0x1F) << 24)
                | (usize::from(b[0]) << 16)
                | (usize::from(b[1]) << 8)
                | usize::from(b[2]),
            4,
        ))
    } else {
        None
    }
}

fn blob(heap: &[u8], i: u32) -> Vec<u8> {
    let i = i as usize;
    compressed(heap, i)
        .and_then(|(n, l)| heap.get(i + l..i + l + n.min(256)))
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

/// Every string of the `#US` heap, in order: a compressed byte count, UTF-16LE, one flag byte.
fn user_strings(us: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 1; // entry 0 is the empty blob
    while at < us.len() && out.len() < MAX_USER_STRINGS {
        let Some((n, l)) = compressed(us, at) else {
            break;
        };
        let start = at + l;
        let Some(body) = us.get(start..start + n) else {
            break;
        };
        at = start + n;
        if n == 0 {
            continue;
        }
        let units: Vec<u16> = body[..n - 1]
            .chunks_exact(2)
            .take(MAX_USER_STRING_UNITS)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        out.push(String::from_utf16_lossy(&units));
    }
    out
}

fn parse_metadata(md: &[u8]) -> Option<Metadata> {
    let s = streams(md)?;
    let t = tables(s.tables)?;
    let name_of = |row: &[u32], ns: usize, n: usize| TypeName {
        namespace: heap_str(s.strings, row[ns]),
        name: heap_str(s.strings, row[n]),
    };
    let mut out = Metadata::default();
    for i in 0..t.rows[0x01] {
        out.type_refs.push(name_of(&t.row(0x01, i)?, 2, 1));
    }
    // TypeDefOrRef: 2 tag bits (0 TypeDef, 1 TypeRef, 2 TypeSpec), then a 1-based row.
    let def_or_ref = |v: u32, defs: &[TypeName], refs: &[TypeName]| match (v & 3, (v >> 2) as usize)
    {
        (_, 0) => None,
        (0, i) => defs.get(i - 1).cloned(),
        (1, i) => refs.get(i - 1).cloned(),
        _ => None,
    };
    let mut extends = Vec::new();
    for i in 0..t.rows[0x02] {
        let r = t.row(0x02, i)?;
        out.types.push(name_of(&r, 2, 1));
        extends.push(r[3]);
    }
    out.bases = extends
        .iter()
        .map(|&v| def_or_ref(v, &out.types, &out.type_refs))
        .collect();
    for i in 0..t.rows[0x09] {
        let r = t.row(0x09, i)?;
        if let (Some(class), Some(iface)) = (
            (r[0] as usize).checked_sub(1),
            def_or_ref(r[1], &out.types, &out.type_refs),
        ) {
            if class < out.types.len() {
                out.interfaces.push((class, iface));
            }
        }
    }
    for i in 0..t.rows[0x0A] {
        let r = t.row(0x0A, i)?;
        let (tag, idx) = (r[0] & 0x7, (r[0] >> 3) as usize);
        let parent = match (tag, idx) {
            (_, 0) => None,
            (0, i) => out.types.get(i - 1).cloned(),
            (1, i) => out.type_refs.get(i - 1).cloned(),
            _ => None,
        };
        out.member_refs.push(MemberRef {
            parent,
            name: heap_str(s.strings, r[1]),
            signature: blob(s.blob, r[2]),
        });
    }
    out.user_strings = user_strings(s.us);
    Some(out)
}

/// Extensions of the files ASP.NET compiles into page classes.
const PAGE_EXTS: &[&str] = &[
    ".aspx", ".ashx", ".asmx", ".ascx", ".master", ".asax", ".svc", ".soap", ".xamlx",
];

/// What a compiled page assembly holds and does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompiledPages {
    /// Classes ASP.NET generated for pages (`ASP.auth_x_aspx`).
    pub classes: Vec<String>,
    /// Virtual paths of the source pages, as stored (`~/auth/x.aspx`, `/owa/auth/x.aspx`).
    pub virtual_paths: Vec<String>,
    /// What its code does, strongest first.
    pub behaviours: Vec<Behaviour>,
    /// The members behind the behaviours and the request reads (`System.Diagnostics.Process::Start`).
    pub calls: Vec<String>,
    /// Request data the code reads (`HttpRequest::BinaryRead`, `HttpRequest::get_Item`, …).
    pub reads_request: bool,
}

/// What a compiled page's code does, from its member references.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Behaviour {
    /// `Microsoft.JScript.Eval::JScriptEvaluate`: JScript `eval` of a string.
    Eval,
    /// `Assembly::Load(byte[])` / `AppDomain::Load(byte[])`: code loaded from bytes.
    AssemblyLoad,
    /// `CodeDomProvider::CompileAssemblyFrom*`: C#/VB source compiled at run time.
    RuntimeCompile,
    /// `Process::Start` / `ProcessStartInfo`: a process started.
    ProcessStart,
}

impl Behaviour {
    pub fn as_str(self) -> &'static str {
        match self {
            Behaviour::Eval => "JScript eval of a string",
            Behaviour::AssemblyLoad => "assembly loaded from bytes",
            Behaviour::RuntimeCompile => "source code compiled at run time",
            Behaviour::ProcessStart => "process start",
        }
    }
}

/// Members of `System.Web.HttpRequest` through which a page reads what the client sent.
const REQUEST_READS: &[&str] = &[
    "get_Item",
    "get_Form",
    "get_QueryString",
    "get_Params",
    "get_Cookies",
    "get_Headers",
    "get_Files",
    "get_InputStream",
    "BinaryRead",
];

/// Pages, source paths and behaviours of a compiled assembly; `None` when it is not .NET.
pub fn compiled_pages(data: &[u8]) -> Option<CompiledPages> {
    let md = read(data)?;
    Some(judge(&md))
}

fn judge(md: &Metadata) -> CompiledPages {
    let mut out = CompiledPages::default();
    for t in &md.types {
        if t.namespace == "ASP"
            && PAGE_EXTS
                .iter()
                .any(|e| t.name.ends_with(&e.replace('.', "_")))
        {
            out.classes.push(t.full());
        }
    }
    for s in &md.user_strings {
        let l = s.to_ascii_lowercase();
        let looks = (l.starts_with("~/") || l.starts_with('/'))
            && l.len() <= 260
            && PAGE_EXTS.iter().any(|e| l.ends_with(e))
            && !l.chars().any(|c| c.is_control() || c == '"' || c == '<');
        if looks && !out.virtual_paths.contains(s) {
            out.virtual_paths.push(s.clone());
        }
    }
    let note = |out: &mut CompiledPages, b: Option<Behaviour>, m: &MemberRef| {
        let call = format!(
            "{}::{}",
            m.parent.as_ref().map(TypeName::full).unwrap_or_default(),
            m.name
        );
        if !out.calls.contains(&call) {
            out.calls.push(call);
        }
        if let Some(b) = b {
            if !out.behaviours.contains(&b) {
                out.behaviours.push(b);
            }
        }
    };
    for m in &md.member_refs {
        let b = if m.is("Microsoft.JScript", "Eval", "JScriptEvaluate") {
            Some(Behaviour::Eval)
        } else if (m.is("System.Reflection", "Assembly", "Load")
            || m.is("System", "AppDomain", "Load"))
            && m.takes_bytes()
        {
            Some(Behaviour::AssemblyLoad)
        } else if m.parent.as_ref().is_some_and(|p| {
            p.namespace == "System.CodeDom.Compiler" || p.namespace == "Microsoft.CSharp"
        }) && m.name.starts_with("CompileAssemblyFrom")
        {
            Some(Behaviour::RuntimeCompile)
        } else if m.is("System.Diagnostics", "Process", "Start")
            || m.is("System.Diagnostics", "ProcessStartInfo", ".ctor")
        {
            Some(Behaviour::ProcessStart)
        } else {
            None
        };
        if b.is_some() {
            note(&mut out, b, m);
        } else if m
            .parent
            .as_ref()
            .is_some_and(|p| p.is("System.Web", "HttpRequest"))
            && REQUEST_READS.contains(&m.name.as_str())
        {
            out.reads_request = true;
            note(&mut out, None, m);
        }
    }
    out.behaviours.sort();
    out
}

/// What an assembly in a web application's `bin` folder is and does: the classes IIS can run
/// from it (pages, user controls, handlers, modules), whether it carries an Authenticode
/// signature, and the behaviours of its code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BinAssembly {
    /// Classes deriving from `System.Web.UI.Page` / `UserControl` / `MasterPage` or implementing
    /// `System.Web.IHttpHandler` / `IHttpModule`.
    pub web_classes: Vec<String>,
    /// The PE file has a certificate table (an embedded Authenticode signature; not verified).
    pub signed: bool,
    pub code: CompiledPages,
}

/// `None` when the file is not a .NET assembly.
pub fn bin_assembly(data: &[u8]) -> Option<BinAssembly> {
    let md = read(data)?;
    let mut web = Vec::new();
    let mut add = |i: usize| {
        if let Some(t) = md.types.get(i) {
            let n = t.full();
            if !web.contains(&n) {
                web.push(n);
            }
        }
    };
    for (i, b) in md.bases.iter().enumerate() {
        if b.as_ref().is_some_and(|b| {
            b.is("System.Web.UI", "Page")
                || b.is("System.Web.UI", "UserControl")
                || b.is("System.Web.UI", "MasterPage")
        }) {
            add(i);
        }
    }
    for (i, iface) in &md.interfaces {
        if iface.is("System.Web", "IHttpHandler") || iface.is("System.Web", "IHttpModule") {
            add(*i);
        }
    }
    Some(BinAssembly {
        web_classes: web,
        signed: has_certificate_table(data),
        code: judge(&md),
    })
}

/// Does the PE file carry a certificate table (IMAGE_DIRECTORY_ENTRY_SECURITY)?
fn has_certificate_table(data: &[u8]) -> bool {
    fn of<H: ImageNtHeaders>(data: &[u8]) -> Option<bool> {
        let pe = PeFile::<H>::parse(data).ok()?;
        let dir = pe.data_directory(object::pe::IMAGE_DIRECTORY_ENTRY_SECURITY)?;
        Some(dir.size.get(LE) > 0 && dir.virtual_address.get(LE) > 0)
    }
    match object::FileKind::parse(data) {
        Ok(object::FileKind::Pe32) => of::<object::pe::ImageNtHeaders32>(data),
        Ok(object::FileKind::Pe64) => of::<object::pe::ImageNtHeaders64>(data),
        _ => None,
    }
    .unwrap_or(false)
}

/// The app-relative path `~/auth/x.aspx` of a page in the application whose folder under
/// `Temporary ASP.NET Files` is `app` (`root` for the site's root application, `owa` for
/// `/owa`) as an absolute virtual path, lower-cased (`/owa/auth/x.aspx`). Absolute paths are
/// lower-cased as they are.
pub fn absolute_virtual_path(app: Option<&str>, vp: &str) -> Option<String> {
    let l = vp.to_ascii_lowercase();
    if l.starts_with('/') {
        return Some(l);
    }
    let rest = l.strip_prefix("~/")?;
    match app?.to_ascii_lowercase().as_str() {
        "root" => Some(format!("/{rest}")),
        a => Some(format!("/{a}/{rest}")),
    }
}

/// The application folder of a file under `…\Temporary ASP.NET Files\<app>\<hash>\<hash>\`.
pub fn temp_app_folder(display_lower: &str) -> Option<&str> {
    const M: &str = r"\temporary asp.net files\";
    let i = display_lower.rfind(M)? + M.len();
    let rest = &display_lower[i..];
    let end = rest.find('\\')?;
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_metadata() {
        assert!(read(b"MZ").is_none());
        assert!(read(&[0u8; 4096]).is_none());
        assert!(parse_metadata(b"BSJB\x01\x00\x01\x00\x00\x00\x00\x00\xff\xff\xff\xff").is_none());
        // Truncations of a metadata root never panic.
        let mut md =
            b"BSJB\x01\x00\x01\x00\x00\x00\x00\x00\x04\x00\x00\x00v4.0\x00\x00\x01\x00".to_vec();
        md.extend_from_slice(&[28, 0, 0, 0, 8, 0, 0, 0, b'#', b'~', 0, 0]);
        md.extend_from_slice(&[0, 0, 0, 0, 2, 0, 0, 0]);
        for n in 0..md.len() {
            let _ = parse_metadata(&md[..n]);
        }
    }

    #[test]
    fn user_string_heap() {
        // "" then "~/a.aspx" (8 units = 16 bytes + flag).
        let mut us = vec![0u8, 17];
        for c in "~/a.aspx".encode_utf16() {
            us.extend_from_slice(&c.to_le_bytes());
        }
        us.push(0);
        us.extend_from_slice(&[0x80]); // damaged tail: stops, no panic
        assert_eq!(user_strings(&us), vec!["~/a.aspx".to_string()]);
    }

    #[test]
    fn paths_of_temp_apps() {
        assert_eq!(
            temp_app_folder(
                r"c:\windows\microsoft.net\framework64\v4.0.30319\temporary asp.net files\owa\1a\2b\app_web_x.dll"
            ),
            Some("owa")
        );
        assert_eq!(
            absolute_virtual_path(Some("owa"), "~/auth/X.aspx").as_deref(),
            Some("/owa/auth/x.aspx")
        );
        assert_eq!(
            absolute_virtual_path(Some("root"), "~/aspnet_client/x.aspx").as_deref(),
            Some("/aspnet_client/x.aspx")
        );
        assert_eq!(
            absolute_virtual_path(None, "/OAB/x.aspx").as_deref(),
            Some("/oab/x.aspx")
        );
        assert_eq!(absolute_virtual_path(None, "~/x.aspx"), None);
    }
}
