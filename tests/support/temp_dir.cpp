#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace tb::test {

temp_dir::temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "trackbridge-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data()))
    throw std::runtime_error("cannot create a temporary directory under /tmp");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

} // namespace tb::test
