//! Periodic monitoring of every instance: PING every second, INFO every 10 s (every second during
//! a failover or when the master is down), hello every 2 s; reply handling; subjective down after
//! down-after-milliseconds without a valid reply, objective down when quorum sentinels agree; TILT
//! mode on clock jumps.
