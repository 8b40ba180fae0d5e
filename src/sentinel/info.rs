//! Parsing the INFO reply of a monitored master or replica and applying it: run id, role changes,
//! replicas discovered from slaveN: lines, replica fields (master_host, master_link_status,
//! slave_priority, slave_repl_offset, replica_announced).
