-- A schema-2 pogo.db (pogo at 7537d56) with real data, dumped with
-- `sqlite3 pogo.db .dump`: a dispatcher and one `pogo worker` of
-- max_tasks 2 on loopback ran job 0 (web[1-3], local, 'printf "line of
-- $POGO_HOST\npartial"; echo err >&2; test "$POGO_HOST" != web2': 2
-- finished, web2 failed; each host's last STDOUT record "partial" had no
-- newline) and job 1 (db[1-3], 'printf "no newline"; sleep 60': 2
-- running, 1 waiting), then the dispatcher was stopped with SIGTERM.
-- unit.store migrates it (version_2_database_with_data_is_migrated):
-- schema 2 kept no end-of-line flag, so its records read as lines.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE counters (name TEXT PRIMARY KEY,  value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counters VALUES('next_job',2);
INSERT INTO counters VALUES('next_task',6);
CREATE TABLE settings (name TEXT PRIMARY KEY,  value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE jobs (job INTEGER PRIMARY KEY,  state INTEGER NOT NULL, state_message TEXT, user TEXT,  run_as TEXT, ssh_user TEXT, ssh_port INTEGER,  connect_timeout INTEGER, command TEXT NOT NULL,  task_name TEXT NOT NULL, config TEXT, namespace TEXT,  timeout INTEGER NOT NULL, job_timeout INTEGER NOT NULL,  retry INTEGER NOT NULL, prehook INTEGER NOT NULL,  posthook INTEGER NOT NULL, lock INTEGER NOT NULL,  concurrent TEXT, exe_name TEXT, exe_data TEXT,  requesthost TEXT, invoked_as TEXT, client TEXT, email TEXT,  im_handle TEXT, message TEXT, start_time REAL NOT NULL,  end_time REAL, host_count INTEGER NOT NULL,  has_password INTEGER NOT NULL, has_key INTEGER NOT NULL,  key_id TEXT);
INSERT INTO jobs VALUES(0,2,'no more hosts to run','alice',NULL,NULL,NULL,NULL,'printf "line of $POGO_HOST\npartial"; echo err >&2; test "$POGO_HOST" != web2','local',NULL,NULL,600,1800,0,0,0,0,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1795728942.7087676524,1795728942.9287889003,3,0,0,NULL);
INSERT INTO jobs VALUES(1,1,'constraints computed','bob',NULL,NULL,NULL,NULL,'printf "no newline"; sleep 60','local',NULL,NULL,600,1800,0,0,0,0,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1795728943.0551872252,NULL,3,0,0,NULL);
CREATE TABLE job_ranges (job INTEGER NOT NULL  REFERENCES jobs (job) ON DELETE CASCADE,  idx INTEGER NOT NULL, pattern TEXT NOT NULL,  PRIMARY KEY (job, idx)) WITHOUT ROWID;
INSERT INTO job_ranges VALUES(0,0,'web[1-3]');
INSERT INTO job_ranges VALUES(1,0,'db[1-3]');
CREATE TABLE hosts (job INTEGER NOT NULL  REFERENCES jobs (job) ON DELETE CASCADE,  idx INTEGER NOT NULL, name TEXT NOT NULL,  state INTEGER NOT NULL, message TEXT, exitstatus INTEGER,  runs INTEGER NOT NULL DEFAULT 0, start_time REAL,  finish_time REAL, task_id TEXT, worker TEXT,  worker_instance TEXT, PRIMARY KEY (job, idx)) WITHOUT ROWID;
INSERT INTO hosts VALUES(0,0,'web1',3,'ok',0,1,1795728942.7253930568,1795728942.769464016,'127.0.0.1:43185-1','w1','75a88d8304c378ee3b8035869ad26f1e');
INSERT INTO hosts VALUES(0,1,'web2',4,'exited with status 1',1,1,1795728942.7687358856,1795728942.8446950912,'127.0.0.1:43185-2','w1','75a88d8304c378ee3b8035869ad26f1e');
INSERT INTO hosts VALUES(0,2,'web3',3,'ok',0,1,1795728942.7784090042,1795728942.9286971091,'127.0.0.1:43185-3','w1','75a88d8304c378ee3b8035869ad26f1e');
INSERT INTO hosts VALUES(1,0,'db1',2,'started',NULL,1,1795728943.0633759498,NULL,'127.0.0.1:43185-4','w1','75a88d8304c378ee3b8035869ad26f1e');
INSERT INTO hosts VALUES(1,1,'db2',2,'started',NULL,1,1795728943.104626894,NULL,'127.0.0.1:43185-5','w1','75a88d8304c378ee3b8035869ad26f1e');
INSERT INTO hosts VALUES(1,2,'db3',0,'waiting for a worker',NULL,0,NULL,NULL,NULL,NULL,NULL);
CREATE TABLE log (job INTEGER NOT NULL  REFERENCES jobs (job) ON DELETE CASCADE,  idx INTEGER NOT NULL, time REAL NOT NULL, host INTEGER,  state INTEGER NOT NULL, message TEXT, exitstatus INTEGER,  run INTEGER NOT NULL DEFAULT 0, output INTEGER NOT NULL DEFAULT 0,  PRIMARY KEY (job, idx),  FOREIGN KEY (job, host) REFERENCES hosts (job, idx)  ON DELETE CASCADE) WITHOUT ROWID;
INSERT INTO log VALUES(0,0,1795728942.7087676524,NULL,0,'job created; fetching host info',NULL,0,0);
INSERT INTO log VALUES(0,1,1795728942.7097721099,0,0,'determining run order...',NULL,0,0);
INSERT INTO log VALUES(0,2,1795728942.7098240852,1,0,'determining run order...',NULL,0,0);
INSERT INTO log VALUES(0,3,1795728942.709829092,2,0,'determining run order...',NULL,0,0);
INSERT INTO log VALUES(0,4,1795728942.7098329067,NULL,1,'constraints computed',NULL,0,0);
INSERT INTO log VALUES(0,5,1795728942.7098538875,0,1,'connecting to host...',NULL,0,0);
INSERT INTO log VALUES(0,6,1795728942.7098689079,1,1,'connecting to host...',NULL,0,0);
INSERT INTO log VALUES(0,7,1795728942.7098760604,2,0,'waiting for a worker',NULL,0,0);
INSERT INTO log VALUES(0,8,1795728942.7253930568,0,2,'started',NULL,0,1);
INSERT INTO log VALUES(0,9,1795728942.7687358856,1,2,'started',NULL,0,1);
INSERT INTO log VALUES(0,10,1795728942.769464016,0,3,'ok',0,0,0);
INSERT INTO log VALUES(0,11,1795728942.769511938,2,1,'connecting to host...',NULL,0,0);
INSERT INTO log VALUES(0,12,1795728942.7784090042,2,2,'started',NULL,0,1);
INSERT INTO log VALUES(0,13,1795728942.8446950912,1,4,'exited with status 1',1,0,0);
INSERT INTO log VALUES(0,14,1795728942.9286971091,2,3,'ok',0,0,0);
INSERT INTO log VALUES(0,15,1795728942.9287889003,NULL,2,'no more hosts to run',NULL,0,0);
INSERT INTO log VALUES(1,0,1795728943.0551872252,NULL,0,'job created; fetching host info',NULL,0,0);
INSERT INTO log VALUES(1,1,1795728943.0559120178,0,0,'determining run order...',NULL,0,0);
INSERT INTO log VALUES(1,2,1795728943.0559339523,1,0,'determining run order...',NULL,0,0);
INSERT INTO log VALUES(1,3,1795728943.0559389591,2,0,'determining run order...',NULL,0,0);
INSERT INTO log VALUES(1,4,1795728943.0559439658,NULL,1,'constraints computed',NULL,0,0);
INSERT INTO log VALUES(1,5,1795728943.055963993,0,1,'connecting to host...',NULL,0,0);
INSERT INTO log VALUES(1,6,1795728943.0559780597,1,1,'connecting to host...',NULL,0,0);
INSERT INTO log VALUES(1,7,1795728943.0560109616,2,0,'waiting for a worker',NULL,0,0);
INSERT INTO log VALUES(1,8,1795728943.0633759498,0,2,'started',NULL,0,1);
INSERT INTO log VALUES(1,9,1795728943.104626894,1,2,'started',NULL,0,1);
CREATE TABLE output (job INTEGER NOT NULL, host INTEGER NOT NULL,  run INTEGER NOT NULL, seq INTEGER NOT NULL, ts REAL NOT NULL,  type INTEGER NOT NULL, data BLOB NOT NULL,  PRIMARY KEY (job, host, run, seq),  FOREIGN KEY (job, host) REFERENCES hosts (job, idx)  ON DELETE CASCADE) WITHOUT ROWID;
INSERT INTO output VALUES(0,0,0,0,1795728942.7689080238,0,X'6c696e65206f662077656231');
INSERT INTO output VALUES(0,0,0,1,1795728942.7689089774,1,X'657272');
INSERT INTO output VALUES(0,0,0,2,1795728942.7689089774,0,X'7061727469616c');
INSERT INTO output VALUES(0,1,0,0,1795728942.7689130306,0,X'6c696e65206f662077656232');
INSERT INTO output VALUES(0,1,0,1,1795728942.8445539474,1,X'657272');
INSERT INTO output VALUES(0,1,0,2,1795728942.8445560932,0,X'7061727469616c');
INSERT INTO output VALUES(0,2,0,0,1795728942.7837350368,0,X'6c696e65206f662077656233');
INSERT INTO output VALUES(0,2,0,1,1795728942.8847079277,1,X'657272');
INSERT INTO output VALUES(0,2,0,2,1795728942.8847100735,0,X'7061727469616c');
INSERT INTO output VALUES(1,0,0,0,1795728943.5829949378,0,X'6e6f206e65776c696e65');
INSERT INTO output VALUES(1,1,0,0,1795728943.6247339248,0,X'6e6f206e65776c696e65');
CREATE TABLE host_counts (job INTEGER NOT NULL  REFERENCES jobs (job) ON DELETE CASCADE,  state INTEGER NOT NULL, n INTEGER NOT NULL,  PRIMARY KEY (job, state)) WITHOUT ROWID;
INSERT INTO host_counts VALUES(0,0,0);
INSERT INTO host_counts VALUES(0,1,0);
INSERT INTO host_counts VALUES(0,2,0);
INSERT INTO host_counts VALUES(0,3,2);
INSERT INTO host_counts VALUES(0,4,1);
INSERT INTO host_counts VALUES(1,0,1);
INSERT INTO host_counts VALUES(1,1,0);
INSERT INTO host_counts VALUES(1,2,2);
CREATE INDEX jobs_user ON jobs (user, job);
CREATE UNIQUE INDEX hosts_name ON hosts (name, job);
CREATE TRIGGER hosts_count_insert AFTER INSERT ON hosts BEGIN  INSERT INTO host_counts VALUES (new.job, new.state, 1)  ON CONFLICT (job, state) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER hosts_count_update AFTER UPDATE OF state ON hosts  WHEN old.state IS NOT new.state BEGIN  UPDATE host_counts SET n = n - 1  WHERE job = old.job AND state = old.state;  INSERT INTO host_counts VALUES (new.job, new.state, 1)  ON CONFLICT (job, state) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER hosts_count_delete AFTER DELETE ON hosts BEGIN  UPDATE host_counts SET n = n - 1  WHERE job = old.job AND state = old.state; END;
CREATE INDEX hosts_job_name ON hosts (job, name);
COMMIT;
PRAGMA user_version = 2;
