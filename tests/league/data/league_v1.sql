-- A league database as the first schema (version 1) wrote it: two wins over BasedBot and a draw
-- with a snapshot. Loaded by test_league_schema.py to prove that upgrades keep every row.
BEGIN TRANSACTION;
CREATE TABLE matches (
        id INTEGER PRIMARY KEY,
        player_a INTEGER NOT NULL REFERENCES players(id),
        player_b INTEGER NOT NULL REFERENCES players(id),
        result TEXT NOT NULL CHECK (result IN ('win', 'draw', 'loss')),   -- from A's side
        seed INTEGER,
        side_a INTEGER NOT NULL DEFAULT 0 CHECK (side_a IN (0, 1)),       -- A's slot (player_0 or player_1)
        stocks_a INTEGER, stocks_b INTEGER,     -- stocks left at the end
        damage_a REAL, damage_b REAL,           -- damage dealt
        kos_a INTEGER, kos_b INTEGER,           -- knockouts dealt
        frames INTEGER,
        source TEXT NOT NULL CHECK (source IN ('training', 'evaluation', 'tournament')),
        replay_path TEXT,
        played_at TEXT NOT NULL,
        CHECK (player_a != player_b)
    );
INSERT INTO "matches" VALUES(1,2,1,'win',11,0,3,0,300.0,20.5,3,0,2100,'training',NULL,'2025-01-01T00:00:30.000+00:00');
INSERT INTO "matches" VALUES(2,1,2,'loss',12,1,0,2,50.0,280.0,1,3,2200,'evaluation','replays/2.npz','2025-01-01T00:01:00.000+00:00');
INSERT INTO "matches" VALUES(3,2,3,'draw',13,0,1,1,150.0,150.0,2,2,2700,'training',NULL,'2025-01-01T00:02:00.000+00:00');
CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
INSERT INTO "meta" VALUES('k','32.0');
INSERT INTO "meta" VALUES('anchor','"BasedBot"');
INSERT INTO "meta" VALUES('anchor_rating','1000.0');
CREATE TABLE players (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'bot', 'external')),
        name TEXT NOT NULL UNIQUE,
        spec TEXT,                 -- bot spec, or snapshot file path relative to the league directory
        file_hash TEXT,            -- sha256 of a snapshot file
        step INTEGER,              -- training step of a snapshot
        parent_run TEXT,           -- the run a snapshot came from
        created_at TEXT NOT NULL,
        CHECK (kind != 'snapshot' OR (spec IS NOT NULL AND file_hash IS NOT NULL))
    );
INSERT INTO "players" VALUES(1,'bot','BasedBot','BasedBot',NULL,NULL,NULL,'2025-01-01T00:00:00.000+00:00');
INSERT INTO "players" VALUES(2,'external','exp0',NULL,NULL,NULL,NULL,'2025-01-01T00:00:01.000+00:00');
INSERT INTO "players" VALUES(3,'snapshot','exp0@5000','snapshots/exp0_5000-0123456789ab.zip','6ca3638ff55bc36b4970c52bd274b406df38d97e0f2dd775c2644cf25a345bc6',5000,'exp0','2025-01-01T00:00:02.000+00:00');
CREATE TABLE rating_history (
        match_id INTEGER NOT NULL REFERENCES matches(id),
        player_id INTEGER NOT NULL REFERENCES players(id),
        rating_before REAL NOT NULL,
        rating_after REAL NOT NULL,
        PRIMARY KEY (match_id, player_id)
    );
INSERT INTO "rating_history" VALUES(1,2,1000.0,1016.0);
INSERT INTO "rating_history" VALUES(1,1,1000.0,1000.0);
INSERT INTO "rating_history" VALUES(2,2,1016.0,1.03126369320647791024e+03);
INSERT INTO "rating_history" VALUES(2,1,1000.0,1000.0);
INSERT INTO "rating_history" VALUES(3,2,1.03126369320647791024e+03,1.02982782032820159654e+03);
INSERT INTO "rating_history" VALUES(3,3,1000.0,1.00143587287827631369e+03);
CREATE TABLE ratings (
        player_id INTEGER PRIMARY KEY REFERENCES players(id),
        initial REAL NOT NULL,
        rating REAL NOT NULL,
        games INTEGER NOT NULL DEFAULT 0,
        wins INTEGER NOT NULL DEFAULT 0,
        draws INTEGER NOT NULL DEFAULT 0,
        losses INTEGER NOT NULL DEFAULT 0,
        last_played TEXT
    );
INSERT INTO "ratings" VALUES(1,1000.0,1000.0,2,0,0,2,'2025-01-01T00:01:00.000+00:00');
INSERT INTO "ratings" VALUES(2,1000.0,1.02982782032820159654e+03,3,2,1,0,'2025-01-01T00:02:00.000+00:00');
INSERT INTO "ratings" VALUES(3,1000.0,1.00143587287827631369e+03,1,0,1,0,'2025-01-01T00:02:00.000+00:00');
CREATE TABLE schema_version (
        version INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL
    );
INSERT INTO "schema_version" VALUES(1,'2025-01-01T00:00:00.000+00:00');
COMMIT;
