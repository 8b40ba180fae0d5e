//! A sentinel's outgoing links: one command socket and one pub/sub socket per monitored
//! instance (`sentinel::state::InstId`). It executes the sentinel core's actions (connect,
//! send, disconnect, emit, save config), parses replies with `resp::frame` and feeds them back as
//! events in the order the commands were sent. Nothing here decides anything; the core does.
