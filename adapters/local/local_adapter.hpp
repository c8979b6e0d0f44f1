#pragma once
// The embedded tracker seen through the adapter interface.

#include "adapters/local/local_tracker.hpp"
#include "adapters/tracker_adapter.hpp"

namespace tb::local {

class adapter : public tracker_adapter {
 public:
  explicit adapter(tracker& t) : tracker_(t) {}

  const std::string& connection() const override { return tracker_.name(); }
  result<std::vector<issue_stamp>> changed_since(const std::string& project, timestamp since,
                                                 std::size_t limit) override;
  result<tracker_catalogue> read_catalogue(const std::string& project) override;
  result<issue> read_issue(const std::string& project, const std::string& id) override;
  result<write_result> create_issue(const std::string& project, const replica_write& w) override;
  result<write_result> update_issue(const std::string& project, const std::string& id,
                                    const replica_write& w) override;
  result<std::string> read_attachment(const std::string& file_id) override;
  result<std::optional<std::string>> find_by_alt_id(const std::string& project,
                                                    const std::string& alt_id) override;

 private:
  tracker& tracker_;
};

} // namespace tb::local
