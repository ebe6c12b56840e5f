//! The files to publish: the source directory walked, excluded paths dropped, precompressed
//! siblings put in place of their originals, and each body hashed (MD5 for single-part ETags,
//! SHA-256 for the metadata compared on multipart objects).

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::pattern::Pattern;

/// Which precompressed siblings to publish in place of their originals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precompressed {
    /// None: `.gz` and `.br` files are ordinary files.
    None,
    /// `app.js.gz` is published as `app.js` with `Content-Encoding: gzip`.
    Gzip,
    /// `app.js.br` is published as `app.js` with `Content-Encoding: br`.
    Brotli,
}

impl Precompressed {
    /// The values of the `precompressed` input.
    pub const CHOICES: [&'static str; 3] = ["none", "gzip", "br"];

    /// From a value of the `precompressed` input (already checked against [`Self::CHOICES`]).
    pub fn from_input(value: &str) -> Self {
        match value {
            "gzip" => Self::Gzip,
            "br" => Self::Brotli,
            _ => Self::None,
        }
    }

    /// The sibling's suffix and the `Content-Encoding` it is served with.
    fn sibling(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::None => None,
            Self::Gzip => Some((".gz", "gzip")),
            Self::Brotli => Some((".br", "br")),
        }
    }
}

/// One file to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Its path relative to the source directory, `/`-separated: its key below the prefix.
    pub path: String,
    /// The file whose bytes are published (the precompressed sibling, when there is one).
    pub source: PathBuf,
    /// Size of the published bytes.
    pub size: u64,
    /// Hex MD5 of the published bytes.
    pub md5: String,
    /// Hex SHA-256 of the published bytes.
    pub sha256: String,
    /// `Content-Encoding` of the published bytes.
    pub content_encoding: Option<&'static str>,
}

/// Walks `root` and hashes every file to publish, sorted by path.
pub fn scan(
    root: &Path,
    exclude: &[Pattern],
    precompressed: Precompressed,
) -> anyhow::Result<Vec<LocalFile>> {
    if !root.exists() {
        bail!(
            "input 'source': directory '{}' does not exist",
            root.display()
        );
    }
    if !root.is_dir() {
        bail!("input 'source': '{}' is not a directory", root.display());
    }
    let mut paths = BTreeSet::new();
    walk(root, "", &mut paths)?;
    let mut files = Vec::new();
    for path in &paths {
        let sibling_of_another = precompressed.sibling().is_some()
            && [".gz", ".br"].iter().any(|suffix| {
                path.strip_suffix(suffix)
                    .is_some_and(|original| paths.contains(original))
            });
        if sibling_of_another || exclude.iter().any(|p| p.matches(path)) {
            continue;
        }
        let (source, content_encoding) = match precompressed.sibling() {
            Some((suffix, encoding)) if paths.contains(&format!("{path}{suffix}")) => {
                (root.join(format!("{path}{suffix}")), Some(encoding))
            }
            _ => (root.join(path), None),
        };
        let (size, md5, sha256) =
            hash_file(&source).with_context(|| format!("cannot read {}", source.display()))?;
        files.push(LocalFile {
            path: path.clone(),
            source,
            size,
            md5,
            sha256,
            content_encoding,
        });
    }
    Ok(files)
}

/// Collects the relative paths of the files below `dir`; symbolic links to files are followed,
/// links to directories are not (they could loop).
fn walk(dir: &Path, relative: &str, paths: &mut BTreeSet<String>) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            bail!(
                "input 'source': the name of {} is not UTF-8 and cannot be an S3 key",
                entry.path().display()
            );
        };
        let path = if relative.is_empty() {
            name
        } else {
            format!("{relative}/{name}")
        };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), &path, paths)?;
        } else if kind.is_file() || (kind.is_symlink() && entry.path().is_file()) {
            paths.insert(path);
        }
    }
    Ok(())
}

/// Size, hex MD5 and hex SHA-256 of a file, read in blocks.
fn hash_file(path: &Path) -> std::io::Result<(u64, String, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut md5 = Md5::new();
    let mut sha256 = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        let chunk = buffer.get(..read).unwrap_or_default();
        md5.update(chunk);
        sha256.update(chunk);
        size += read as u64;
    }
    Ok((
        size,
        format!("{:x}", md5.finalize()),
        format!("{:x}", sha256.finalize()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, body) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, body).expect("write");
        }
        dir
    }

    fn paths(files: &[LocalFile]) -> Vec<(&str, Option<&str>)> {
        files
            .iter()
            .map(|f| (f.path.as_str(), f.content_encoding))
            .collect()
    }

    #[test]
    fn walks_hashes_and_excludes() {
        let dir = site(&[
            ("index.html", "hello"),
            ("assets/app.js", ""),
            ("drafts/a.html", "x"),
            ("x/.DS_Store", "x"),
        ]);
        let exclude = vec![
            Pattern::new("drafts/**").expect("glob"),
            Pattern::new(".DS_Store").expect("glob"),
        ];
        let files = scan(dir.path(), &exclude, Precompressed::None).expect("scan");
        assert_eq!(
            paths(&files),
            [("assets/app.js", None), ("index.html", None)]
        );
        let index = &files[1];
        assert_eq!(index.size, 5);
        assert_eq!(index.md5, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(
            index.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(files[0].md5, "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn precompressed_siblings_replace_their_originals() {
        let dir = site(&[
            ("app.js", "plain"),
            ("app.js.br", "brotli"),
            ("app.js.gz", "gzip"),
            ("style.css", "plain"),
            ("dump.gz", "a lone archive"),
        ]);
        let br = scan(dir.path(), &[], Precompressed::Brotli).expect("scan");
        assert_eq!(
            paths(&br),
            [
                ("app.js", Some("br")),
                ("dump.gz", None),
                ("style.css", None)
            ]
        );
        assert_eq!(br[0].size, 6);
        assert!(br[0].source.ends_with("app.js.br"));
        let none = scan(dir.path(), &[], Precompressed::None).expect("scan");
        assert_eq!(none.len(), 5);
    }

    #[test]
    fn a_missing_or_non_directory_source_is_named() {
        let dir = site(&[("file.txt", "x")]);
        let missing =
            scan(&dir.path().join("dist"), &[], Precompressed::None).expect_err("missing");
        assert!(
            missing
                .to_string()
                .starts_with("input 'source': directory '"),
            "{missing}"
        );
        assert!(
            missing.to_string().ends_with("dist' does not exist"),
            "{missing}"
        );
        let file = scan(&dir.path().join("file.txt"), &[], Precompressed::None).expect_err("file");
        assert!(
            file.to_string().ends_with("file.txt' is not a directory"),
            "{file}"
        );
    }
}
