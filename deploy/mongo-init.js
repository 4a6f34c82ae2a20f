// Runs once, when the mongo container starts on an empty data volume (the mongo image runs
// the scripts in /docker-entrypoint-initdb.d as the root user, in MONGO_INITDB_DATABASE).
// uninews connects as this application user: readWrite on its own database only, created in
// that database, so its URI needs no authSource (the root user's lives in `admin`).
const user = process.env.UNINEWS_DB_USER || "uninews";
const password = process.env.UNINEWS_DB_PASSWORD;
if (!password) {
  throw new Error("set UNINEWS_DB_PASSWORD (docs/deploy.md)");
}
db.getSiblingDB("uninews").createUser({
  user: user,
  pwd: password,
  roles: [{ role: "readWrite", db: "uninews" }],
});
