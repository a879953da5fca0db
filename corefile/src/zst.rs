//! zstd: recognising a compressed core by its magic and decompressing it,
//! bounded, into a sparse temporary file.
