//! Registry hives for tests: an empty primary hive written from scratch (a base block and one
//! hive bin holding the root key and its security cell), and `.reg` text merged into it with
//! Debian's `hivexregedit --merge` (package `libwin-hivex-perl`, which `libhivex-bin` tools come
//! with), which writes real hive structures the way the hivex library does.

use std::io;
use std::path::Path;
use std::process::Command;

const BLOCK: usize = 4096;

fn put_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// An empty primary hive (format 1.3): a root key named `ROOT` with no subkeys or values.
pub fn empty_hive() -> Vec<u8> {
    let mut bin = vec![0u8; BLOCK];
    bin[..4].copy_from_slice(b"hbin");
    put_u32(&mut bin, 8, BLOCK as u32);
    // The root key node at 0x20: cell size, "nk", then its fields.
    let name = b"ROOT";
    let nk_len = 4 + 76 + name.len();
    let nk_size = nk_len.div_ceil(8) * 8;
    let sk_at = 0x20 + nk_size;
    let nk = 0x20;
    put_u32(&mut bin, nk, (-(nk_size as i32)) as u32);
    bin[nk + 4..nk + 6].copy_from_slice(b"nk");
    put_u16(&mut bin, nk + 6, 0x2C); // hive entry, no delete, ASCII name
    put_u32(&mut bin, nk + 20, u32::MAX); // parent
    put_u32(&mut bin, nk + 32, u32::MAX); // subkey list
    put_u32(&mut bin, nk + 36, u32::MAX); // volatile subkey list
    put_u32(&mut bin, nk + 44, u32::MAX); // value list
    put_u32(&mut bin, nk + 48, sk_at as u32); // security
    put_u32(&mut bin, nk + 52, u32::MAX); // class name
    put_u16(&mut bin, nk + 76, name.len() as u16);
    bin[nk + 80..nk + 80 + name.len()].copy_from_slice(name);
    // The security cell: a self-relative descriptor with an empty DACL, referenced once.
    let sd: [u8; 28] = [
        1, 0, 0x04, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 2, 0, 8, 0, 0, 0, 0, 0,
    ];
    let sk_len = 4 + 20 + sd.len();
    let sk_size = sk_len.div_ceil(8) * 8;
    put_u32(&mut bin, sk_at, (-(sk_size as i32)) as u32);
    bin[sk_at + 4..sk_at + 6].copy_from_slice(b"sk");
    put_u32(&mut bin, sk_at + 8, sk_at as u32); // flink
    put_u32(&mut bin, sk_at + 12, sk_at as u32); // blink
    put_u32(&mut bin, sk_at + 16, 1); // references
    put_u32(&mut bin, sk_at + 20, sd.len() as u32);
    bin[sk_at + 24..sk_at + 24 + sd.len()].copy_from_slice(&sd);
    // The rest of the bin is one free cell.
    let free = sk_at + sk_size;
    put_u32(&mut bin, free, (BLOCK - free) as u32);
    // The base block.
    let mut base = vec![0u8; BLOCK];
    base[..4].copy_from_slice(b"regf");
    for (at, v) in [
        (4, 1),
        (8, 1),
        (0x14, 1),
        (0x18, 3),
        (0x1C, 0),
        (0x20, 1),
        (0x24, 0x20),
        (0x28, BLOCK as u32),
        (0x2C, 1),
    ] {
        put_u32(&mut base, at, v);
    }
    let sum = (0..508).step_by(4).fold(0u32, |a, i| {
        a ^ u32::from_le_bytes(base[i..i + 4].try_into().unwrap())
    });
    put_u32(&mut base, 508, sum);
    base.extend_from_slice(&bin);
    base
}

/// `.reg` text for `keys` (each with its values as `.reg` lines), every ancestor key listed first
/// (hivexregedit creates a key only under an existing parent).
pub fn reg_text(root: &str, keys: &[(&str, &[&str])]) -> String {
    let mut out = String::from("Windows Registry Editor Version 5.00\n\n");
    let mut listed: Vec<String> = Vec::new();
    for (key, values) in keys {
        let parts: Vec<&str> = key.split('\\').collect();
        for n in 1..=parts.len() {
            let k = format!("{root}\\{}", parts[..n].join("\\"));
            if !listed.contains(&k) {
                out.push_str(&format!("[{k}]\n"));
                if n == parts.len() {
                    for v in values.iter() {
                        out.push_str(v);
                        out.push('\n');
                    }
                }
                out.push('\n');
                listed.push(k);
            }
        }
    }
    out
}

/// Write a hive at `path` holding `keys` below `root` (e.g. `HKEY_LOCAL_MACHINE\SOFTWARE`).
/// `Ok(false)` when `hivexregedit` is not installed (the caller skips, saying so).
pub fn write_hive(path: &Path, root: &str, keys: &[(&str, &[&str])]) -> io::Result<bool> {
    std::fs::write(path, empty_hive())?;
    let reg = path.with_extension("reg-src");
    std::fs::write(&reg, reg_text(root, keys))?;
    let out = match Command::new("hivexregedit")
        .arg("--merge")
        .arg("--prefix")
        .arg(root)
        .arg(path)
        .arg(&reg)
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::remove_file(&reg)?;
            return Ok(false);
        }
        Err(e) => return Err(e),
    };
    std::fs::remove_file(&reg)?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "hivexregedit failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(true)
}
