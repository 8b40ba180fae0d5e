//! The client API of a sentinel: the SENTINEL command and its subcommands, and the command set a
//! sentinel answers (PING, INFO, ROLE, SUBSCRIBE, AUTH, HELLO, CLIENT, SHUTDOWN...).
