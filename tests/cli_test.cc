// The gtops binary's front door: exit codes (docs/cli.md), JSON shapes, read-only SQL, errors.
#include <sqlite3.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace gtops {
namespace {

using testing::TempDir;

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

CliRun Gtops(const std::string& args) {
  CliRun r;
  int status = -1;
  r.out = testing::RunGtops(args, status);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Q(const std::string& s) { return "'" + s + "'"; }

TEST(Cli, InitWritesAStarterProgramAndRefusesToOverwriteIt) {
  TempDir tmp;
  const std::string dir = tmp / "prog";
  CliRun first = Gtops("init " + Q(dir));
  EXPECT_EQ(first.exit_code, 0) << first.out;
  EXPECT_TRUE(std::filesystem::exists(dir + "/gtops.toml"));
  EXPECT_TRUE(std::filesystem::is_directory(dir + "/data"));
  CliRun again = Gtops("init " + Q(dir));
  EXPECT_EQ(again.exit_code, 2) << again.out;
  EXPECT_NE(again.out.find("exists already"), std::string::npos);
  // The starter program ingests (nothing yet) and reports zero counts.
  CliRun ingest = Gtops("ingest --program " + Q(dir) + " --json");
  EXPECT_EQ(ingest.exit_code, 0) << ingest.out;
  auto j = nlohmann::json::parse(ingest.out);
  EXPECT_EQ(j["records_read"], 0);
}

TEST(Cli, StatusJsonHasTheDocumentedFields) {
  TempDir tmp;
  CliRun ingest = Gtops("ingest --program " + Q(testing::WorldSmall()) + " --store " +
                     Q(tmp / "s.db") + " --quiet --json");
  ASSERT_EQ(ingest.exit_code, 0) << ingest.out;
  auto r = nlohmann::json::parse(ingest.out);
  EXPECT_EQ(r["records_read"], r["accepted"].get<int64_t>() + r["quarantined"].get<int64_t>());
  CliRun status = Gtops("status --store " + Q(tmp / "s.db") + " --json");
  ASSERT_EQ(status.exit_code, 0) << status.out;
  auto j = nlohmann::json::parse(status.out);
  EXPECT_EQ(j["labels"], 13846);
  EXPECT_EQ(j["events"], 22486);
  EXPECT_EQ(j["audits"], 1280);
  EXPECT_EQ(j["objects"], 127923);
  EXPECT_EQ(j["quarantined"], 0);
  ASSERT_EQ(j["pipelines"].size(), 12u);
  for (const auto& p : j["pipelines"]) {
    EXPECT_TRUE(p.contains("id"));
    EXPECT_TRUE(p.contains("frames"));
    EXPECT_TRUE(p.contains("objects"));
  }
  EXPECT_EQ(j["vendors"].size(), 4u);
}

TEST(Cli, SqlIsReadOnlyAndSpeaksJsonAndCsv) {
  TempDir tmp;
  ASSERT_EQ(Gtops("ingest --program " + Q(testing::WorldSmall()) + " --store " + Q(tmp / "s.db") +
                  " --quiet").exit_code, 0);
  CliRun write = Gtops("sql --store " + Q(tmp / "s.db") + " \"DELETE FROM vendors\"");
  EXPECT_EQ(write.exit_code, 2) << write.out;
  EXPECT_NE(write.out.find("read-only"), std::string::npos);
  CliRun json = Gtops("sql --store " + Q(tmp / "s.db") +
                   " --json \"SELECT count(*) AS n, 'a,b' AS s FROM vendors\"");
  ASSERT_EQ(json.exit_code, 0) << json.out;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["columns"], nlohmann::json::array({"n", "s"}));
  EXPECT_EQ(j["rows"][0]["n"], 4);
  CliRun csv = Gtops("sql --store " + Q(tmp / "s.db") + " --csv \"SELECT 'a,b' AS s\"");
  EXPECT_EQ(csv.out, "s\r\n\"a,b\"\r\n");
}

TEST(Cli, BadConfigExitsFourNamingTheLine) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "p/data");
  std::ofstream(tmp / "p/gtops.toml") << "[program]\nname = \"x\"\ncolour = \"red\"\n";
  CliRun r = Gtops("ingest --program " + Q(tmp / "p"));
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("gtops.toml:3"), std::string::npos) << r.out;
}

TEST(Cli, StoreErrorsExitFive) {
  TempDir tmp;
  CliRun missing = Gtops("status --store " + Q(tmp / "none.db"));
  EXPECT_EQ(missing.exit_code, 5) << missing.out;
  ASSERT_EQ(Gtops("ingest --program " + Q(testing::WorldSmall()) + " --store " + Q(tmp / "s.db") +
                  " --quiet").exit_code, 0);
  sqlite3* db;
  ASSERT_EQ(sqlite3_open((tmp / "s.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  CliRun newer = Gtops("status --store " + Q(tmp / "s.db"));
  EXPECT_EQ(newer.exit_code, 5) << newer.out;
  EXPECT_NE(newer.out.find("newer than this gtops"), std::string::npos) << newer.out;
}

TEST(Cli, UsageErrorsExitTwoAndEveryCommandHasHelp) {
  EXPECT_EQ(Gtops("no-such-command").exit_code, 2);
  EXPECT_EQ(Gtops("ingest --no-such-flag").exit_code, 2);
  for (const char* cmd : {"init", "ingest", "status", "sql", "demo", "eval"}) {
    CliRun help = Gtops(std::string(cmd) + " --help");
    EXPECT_EQ(help.exit_code, 0) << cmd;
    EXPECT_NE(help.out.find("Usage"), std::string::npos) << cmd;
  }
}

TEST(Cli, CheckValidatesWithoutWritingAStore) {
  TempDir tmp;
  CliRun r = Gtops("ingest --program " + Q(testing::WorldSmall()) + " --store " + Q(tmp / "s.db") +
                " --check --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["records_read"], 13846 + 22486 + 1280);
  EXPECT_FALSE(std::filesystem::exists(tmp / "s.db"));
}

}  // namespace
}  // namespace gtops
