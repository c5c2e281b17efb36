//! Scanner throughput over the concatenated real-world corpus (no masks: the common case of a
//! pre-commit hook), and over the same text with a mask every 40 lines.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn corpus() -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/realworld");
    let mut files: Vec<_> = ignore::WalkBuilder::new(&root)
        .hidden(false)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect()
}

fn with_masks(text: &[u8]) -> Vec<u8> {
    let mask = b"  token: \"{{workato:sm:key:arn:aws:secretsmanager:us-east-1:137149879143:secret:app-AbCdEf}}\"\n";
    let mut out = Vec::with_capacity(text.len() * 2);
    for (i, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        out.extend_from_slice(line);
        if i % 40 == 0 {
            out.extend_from_slice(mask);
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let clean = corpus();
    let masked = with_masks(&clean);
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes(clean.len() as u64));
    group.bench_function("realworld corpus, no masks", |b| {
        b.iter(|| secretmask::lint::check(black_box(&clean)))
    });
    group.throughput(Throughput::Bytes(masked.len() as u64));
    group.bench_function("corpus with a mask every 40 lines", |b| {
        b.iter(|| secretmask::grammar::scan(black_box(&masked)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
