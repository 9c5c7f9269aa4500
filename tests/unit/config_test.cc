// meridiand's configuration: one key table serves the TOML file and the command-line flags.
#include "daemon/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <set>
#include <string>

namespace meridian::daemon {
namespace {

class ConfigFileTest : public ::testing::Test {
 protected:
  void TearDown() override { std::remove(path_.c_str()); }
  Status Load(const std::string& text, Config* config) {
    std::ofstream(path_) << text;
    return LoadConfigFile(path_, config);
  }
  const std::string path_ =
      ::testing::TempDir() + "/meridian_config_test_" + std::to_string(::getpid()) + ".toml";
};

TEST_F(ConfigFileTest, ReadsEveryKind) {
  Config c;
  ASSERT_TRUE(Load("region = \"eu-west-1\"\ndata_dir = \"/d\"\nthreads = 3\n"
                   "region_id = 7\nglobal_tables = true\nlog_retention = 100\n",
                   &c)
                  .ok());
  EXPECT_EQ(c.region, "eu-west-1");
  EXPECT_EQ(c.data_dir, "/d");
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.region_id, 7u);
  EXPECT_TRUE(c.global_tables);
  EXPECT_EQ(c.log_retention, 100u);
  EXPECT_EQ(c.config_file, path_);
  EXPECT_TRUE(ValidateConfig(c).ok());
}

TEST_F(ConfigFileTest, UnknownKeysAndWrongTypesNameTheLine) {
  const std::pair<const char*, const char*> kCases[] = {
      {"region = \"a\"\n\nregoin = \"b\"\n", ":3: unknown key 'regoin'"},
      {"threads = \"four\"\n", ":1: 'threads' must be an integer"},
      {"threads = 2.5\n", ":1: 'threads' must be an integer"},
      {"\nglobal_tables = 1\n", ":2: 'global_tables' must be a boolean"},
      {"listen = 8000\n", ":1: 'listen' must be a string"},
      {"log_retention = -1\n", ":1: 'log_retention' must be >= 0"},
  };
  for (const auto& [text, error] : kCases) {
    Config c;
    Status s = Load(text, &c);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << text;
    EXPECT_EQ(s.message(), path_ + error);
  }
  Config c;
  EXPECT_FALSE(Load("region = \n", &c).ok());  // not TOML
}

TEST_F(ConfigFileTest, OutOfRangeIntegersAreJudgedByValidation) {
  Config c;
  ASSERT_TRUE(Load("region = \"a\"\ndata_dir = \"/d\"\nheartbeat_ms = 99999999999\n", &c).ok());
  EXPECT_EQ(c.heartbeat_ms, std::numeric_limits<int>::max());
  EXPECT_EQ(ValidateConfig(c).message(), "heartbeat_ms must be between 10 and 60000");
  Config d;
  ASSERT_TRUE(Load("region = \"a\"\ndata_dir = \"/d\"\nanti_entropy_interval_s = -5\n", &d).ok());
  EXPECT_EQ(ValidateConfig(d).message(), "anti_entropy_interval_s must be >= 0");
}

TEST(ConfigKeysTest, FlagsAreTheKeysWithDashes) {
  std::set<std::string> flags;
  for (const auto& key : ConfigKeys()) {
    const std::string flag = key.FlagName();
    EXPECT_EQ(flag.rfind("--", 0), 0u) << flag;
    EXPECT_EQ(flag.find('_'), std::string::npos) << flag;
    EXPECT_TRUE(flags.insert(flag).second) << "twice: " << flag;
  }
  EXPECT_TRUE(flags.count("--anti-entropy-interval-s"));
  EXPECT_TRUE(flags.count("--data-dir"));
  EXPECT_EQ(flags.size(), ConfigKeys().size());
}

TEST(ConfigKeysTest, CopyMovesOneKeyOnly) {
  Config from, to;
  from.region = "r";
  from.heartbeat_ms = 500;
  for (const auto& key : ConfigKeys()) {
    if (std::string(key.name) == "heartbeat_ms") key.Copy(from, &to);
  }
  EXPECT_EQ(to.heartbeat_ms, 500);
  EXPECT_EQ(to.region, "");
}

}  // namespace
}  // namespace meridian::daemon
