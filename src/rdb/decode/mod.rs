//! Validating readers for the packed blobs found inside RDB values: listpacks, ziplists,
//! zipmaps and intsets. Every reader checks every offset and length against the blob, so a
//! corrupt file yields an error, never a panic or an out-of-bounds read.
// STUB: the reader helper fills these in.
