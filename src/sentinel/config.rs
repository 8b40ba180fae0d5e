//! sentinel.conf in and out: parsing sentinel directives (in any order, tolerating duplicates)
//! into the state, and rewriting the file with the learned state (myid, epochs, known replicas and
//! sentinels) atomically: temp file, fsync, rename.
