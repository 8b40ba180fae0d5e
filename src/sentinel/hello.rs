//! The __sentinel__:hello message: encoding ours
//! (ip,port,runid,current_epoch,master_name,master_ip,master_port,master_config_epoch) and
//! applying one received (discover sentinels, adopt a newer master config).
