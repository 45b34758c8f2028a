-- What Vercel's installation webhooks tell us: the team and account the
-- installation belongs to (it can be transferred), and the projects it
-- may reach (projects is a JSON array of project ids).
ALTER TABLE installations ADD COLUMN team_id TEXT NOT NULL DEFAULT '';

ALTER TABLE installations ADD COLUMN account_id TEXT NOT NULL DEFAULT '';

ALTER TABLE installations ADD COLUMN project_selection TEXT NOT NULL DEFAULT '';

ALTER TABLE installations ADD COLUMN projects TEXT NOT NULL DEFAULT '[]';
