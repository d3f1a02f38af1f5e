-- A schema-3 pogo.db (pogo at 4fcaa37) with real data, dumped with
-- `sqlite3 pogo.db .dump`: a dispatcher (resolver path with Grp, which
-- prints r1, r2, r3) and one `pogo worker` of max_tasks 2 on loopback
-- ran job 0 (r[1-3], local, 'echo started; sleep 600', configuration
-- "tag:" and constraint "Grp one": max_parallel 1: r1 running, r2 and
-- r3 waiting for Grp one) and job 1 (f[1-2], 'echo done': finished),
-- then the dispatcher was stopped with SIGTERM.  unit.store migrates it
-- (version_3_database_with_data_is_migrated): schema 3 kept no answers
-- of a job's external references, so job 0 has none.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE counters (name TEXT PRIMARY KEY,  value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counters VALUES('next_job',2);
INSERT INTO counters VALUES('next_task',4);
CREATE TABLE settings (name TEXT PRIMARY KEY,  value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE jobs (job INTEGER PRIMARY KEY,  state INTEGER NOT NULL, state_message TEXT, user TEXT,  run_as TEXT, ssh_user TEXT, ssh_port INTEGER,  connect_timeout INTEGER, command TEXT NOT NULL,  task_name TEXT NOT NULL, config TEXT, namespace TEXT,  timeout INTEGER NOT NULL, job_timeout INTEGER NOT NULL,  retry INTEGER NOT NULL, prehook INTEGER NOT NULL,  posthook INTEGER NOT NULL, lock INTEGER NOT NULL,  concurrent TEXT, exe_name TEXT, exe_data TEXT,  requesthost TEXT, invoked_as TEXT, client TEXT, email TEXT,  im_handle TEXT, message TEXT, start_time REAL NOT NULL,  end_time REAL, host_count INTEGER NOT NULL,  has_password INTEGER NOT NULL, has_key INTEGER NOT NULL,  key_id TEXT);
INSERT INTO jobs VALUES(0,1,'constraints computed','alice',NULL,NULL,NULL,NULL,'echo started; sleep 600','local',replace('tag:\nconstraint:\n  Grp one:\n    max_parallel: 1','\n',char(10)),NULL,600,1800,0,0,0,0,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1795784715.3370039462,NULL,3,0,0,NULL);
INSERT INTO jobs VALUES(1,2,'no more hosts to run','bob',NULL,NULL,NULL,NULL,'echo done','local',NULL,NULL,600,1800,0,0,0,0,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1795784716.3714523315,1795784720.5343999862,2,0,0,NULL);
CREATE TABLE job_ranges (job INTEGER NOT NULL  REFERENCES jobs (job) ON DELETE CASCADE,  idx INTEGER NOT NULL, pattern TEXT NOT NULL,  PRIMARY KEY (job, idx)) WITHOUT ROWID;
INSERT INTO job_ranges VALUES(0,0,'r[1-3]');
INSERT INTO job_ranges VALUES(1,0,'f[1-2]');
CREATE TABLE hosts (job INTEGER NOT NULL  REFERENCES jobs (job) ON DELETE CASCADE,  idx INTEGER NOT NULL, name TEXT NOT NULL,  state INTEGER NOT NULL, message TEXT, exitstatus INTEGER,  runs INTEGER NOT NULL DEFAULT 0, start_time REAL,  finish_time REAL, task_id TEXT, worker TEXT,  worker_instance TEXT, PRIMARY KEY (job, idx)) WITHOUT ROWID;
INSERT INTO hosts VALUES(0,0,'r1',2,'started',NULL,1,1795784720.3664729595,NULL,'127.0.0.1:46377-1','w1','d94b91b4a8c1517461017394ce2e1eaf');
INSERT INTO hosts VALUES(0,1,'r2',0,'waiting for Grp one',NULL,0,NULL,NULL,NULL,NULL,NULL);
INSERT INTO hosts VALUES(0,2,'r3',0,'waiting for Grp one',NULL,0,NULL,NULL,NULL,NULL,NULL);
INSERT INTO hosts VALUES(1,0,'f1',3,'ok',0,1,1795784720.3705909252,1795784720.4320869445,'127.0.0.1:46377-2','w1','d94b91b4a8c1517461017394ce2e1eaf');
INSERT INTO hosts VALUES(1,1,'f2',3,'ok',0,1,1795784720.4744949341,1795784720.5342490673,'127.0.0.1:46377-3','w1','d94b91b4a8c1517461017394ce2e1eaf');
CREATE TABLE log (job INTEGER NOT NULL  REFERENCES jobs (job) ON DELETE CASCADE,  idx INTEGER NOT NULL, time REAL NOT NULL, host INTEGER,  state INTEGER NOT NULL, message TEXT, exitstatus INTEGER,  run INTEGER NOT NULL DEFAULT 0, output INTEGER NOT NULL DEFAULT 0,  PRIMARY KEY (job, idx),  FOREIGN KEY (job, host) REFERENCES hosts (job, idx)  ON DELETE CASCADE) WITHOUT ROWID;
INSERT INTO log VALUES(0,0,1795784715.3370039462,NULL,0,'job created; fetching host info',NULL,0,0);
INSERT INTO log VALUES(0,1,1795784715.3499519824,0,0,'determining run order...',NULL,0,0);
INSERT INTO log VALUES(0,2,1795784715.3499999046,1,0,'determining run order...',NULL,0,0);
INSERT INTO log VALUES(0,3,1795784715.3500080109,2,0,'determining run order...',NULL,0,0);
INSERT INTO log VALUES(0,4,1795784715.3500139712,NULL,1,'constraints computed',NULL,0,0);
INSERT INTO log VALUES(0,5,1795784715.3500330447,0,0,'waiting for a worker',NULL,0,0);
INSERT INTO log VALUES(0,6,1795784715.3500430583,1,0,'waiting for Grp one',NULL,0,0);
INSERT INTO log VALUES(0,7,1795784715.3500480652,2,0,'waiting for Grp one',NULL,0,0);
INSERT INTO log VALUES(0,8,1795784720.324317932,0,1,'connecting to host...',NULL,0,0);
INSERT INTO log VALUES(0,9,1795784720.3664729595,0,2,'started',NULL,0,1);
INSERT INTO log VALUES(1,0,1795784716.3714523315,NULL,0,'job created; fetching host info',NULL,0,0);
INSERT INTO log VALUES(1,1,1795784716.3745620251,0,0,'determining run order...',NULL,0,0);
INSERT INTO log VALUES(1,2,1795784716.3745970725,1,0,'determining run order...',NULL,0,0);
INSERT INTO log VALUES(1,3,1795784716.374605894,NULL,1,'constraints computed',NULL,0,0);
INSERT INTO log VALUES(1,4,1795784716.374619007,0,0,'waiting for a worker',NULL,0,0);
INSERT INTO log VALUES(1,5,1795784716.3746259212,1,0,'waiting for a worker',NULL,0,0);
INSERT INTO log VALUES(1,6,1795784720.3243699073,0,1,'connecting to host...',NULL,0,0);
INSERT INTO log VALUES(1,7,1795784720.3705909252,0,2,'started',NULL,0,1);
INSERT INTO log VALUES(1,8,1795784720.4320869445,0,3,'ok',0,0,0);
INSERT INTO log VALUES(1,9,1795784720.4322049618,1,1,'connecting to host...',NULL,0,0);
INSERT INTO log VALUES(1,10,1795784720.4744949341,1,2,'started',NULL,0,1);
INSERT INTO log VALUES(1,11,1795784720.5342490673,1,3,'ok',0,0,0);
INSERT INTO log VALUES(1,12,1795784720.5343999862,NULL,2,'no more hosts to run',NULL,0,0);
CREATE TABLE output (job INTEGER NOT NULL, host INTEGER NOT NULL,  run INTEGER NOT NULL, seq INTEGER NOT NULL, ts REAL NOT NULL,  type INTEGER NOT NULL, data BLOB NOT NULL, eol INTEGER NOT NULL DEFAULT 1,  PRIMARY KEY (job, host, run, seq),  FOREIGN KEY (job, host) REFERENCES hosts (job, idx)  ON DELETE CASCADE) WITHOUT ROWID;
INSERT INTO output VALUES(0,0,0,0,1795784720.3666100501,0,X'73746172746564',1);
INSERT INTO output VALUES(1,0,0,0,1795784720.3666241169,0,X'646f6e65',1);
INSERT INTO output VALUES(1,0,0,1,1795784720.4320869445,2,X'30',1);
INSERT INTO output VALUES(1,1,0,0,1795784720.4746179581,0,X'646f6e65',1);
INSERT INTO output VALUES(1,1,0,1,1795784720.5342490673,2,X'30',1);
CREATE TABLE host_counts (job INTEGER NOT NULL  REFERENCES jobs (job) ON DELETE CASCADE,  state INTEGER NOT NULL, n INTEGER NOT NULL,  PRIMARY KEY (job, state)) WITHOUT ROWID;
INSERT INTO host_counts VALUES(0,0,2);
INSERT INTO host_counts VALUES(0,1,0);
INSERT INTO host_counts VALUES(0,2,1);
INSERT INTO host_counts VALUES(1,0,0);
INSERT INTO host_counts VALUES(1,1,0);
INSERT INTO host_counts VALUES(1,2,0);
INSERT INTO host_counts VALUES(1,3,2);
CREATE INDEX jobs_user ON jobs (user, job);
CREATE UNIQUE INDEX hosts_name ON hosts (name, job);
CREATE TRIGGER hosts_count_insert AFTER INSERT ON hosts BEGIN  INSERT INTO host_counts VALUES (new.job, new.state, 1)  ON CONFLICT (job, state) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER hosts_count_update AFTER UPDATE OF state ON hosts  WHEN old.state IS NOT new.state BEGIN  UPDATE host_counts SET n = n - 1  WHERE job = old.job AND state = old.state;  INSERT INTO host_counts VALUES (new.job, new.state, 1)  ON CONFLICT (job, state) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER hosts_count_delete AFTER DELETE ON hosts BEGIN  UPDATE host_counts SET n = n - 1  WHERE job = old.job AND state = old.state; END;
CREATE INDEX hosts_job_name ON hosts (job, name);
COMMIT;
PRAGMA user_version = 3;
