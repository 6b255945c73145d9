//! The committed seed corpora of the fuzz targets (`fuzz/corpus/<target>/seed-*`), which
//! the stable mirrors of the targets replay.

use std::path::PathBuf;

/// `fuzz/corpus/<target>` in this checkout.
pub fn dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

/// The seed files of a fuzz target as `(file name, bytes)`, sorted by name. Panics when
/// the folder cannot be read or holds no seed, so a renamed target cannot pass empty.
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = dir(target);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|entry| entry.unwrap_or_else(|error| panic!("{}: {error}", dir.display())))
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_owned();
            name.starts_with("seed-").then(|| {
                let path = entry.path();
                let data = std::fs::read(&path)
                    .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                (name, data)
            })
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}
