#pragma once
// A Redmine stand-in for the adapter's deterministic tests: the few REST
// calls the adapter makes, answered in Redmine 5.0's shapes from state a
// test controls, on 127.0.0.1. What a real Redmine does unasked can be made
// to happen at an exact moment: `before_write` runs inside each PUT or
// relation POST before Redmine would apply it, so a test places a child's
// "child added" journal or a person's edit exactly between the adapter's
// read and its write. Workflow gaps can be set per user, as a Redmine
// administrator would, and the PUT is then answered 204 with the status
// left alone, as Redmine does.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tb::test {

class fake_redmine {
 public:
  struct detail {
    std::string property, name, old_value, new_value; // "" is null
  };
  struct journal {
    long id = 0;
    std::string user; // login
    std::string notes;
    std::vector<detail> details;
  };
  struct issue {
    long id = 0;
    std::string subject;
    long status = 1; // 1 New, 2 In Progress, 3 Resolved
    long priority = 2; // 2 Normal, 3 High
    long parent = 0;
    std::vector<journal> journals;
  };

  fake_redmine(); // listens on 127.0.0.1, a free port
  ~fake_redmine();
  fake_redmine(const fake_redmine&) = delete;
  fake_redmine& operator=(const fake_redmine&) = delete;

  std::string url() const;
  static constexpr const char* api_key = "fake-admin-key";

  // State, for a test to arrange and to check (the server's lock is held).
  long add_issue(const std::string& subject, const std::string& author, long parent = 0);
  // A journal as Redmine writes one; its id is the next of the instance.
  long add_journal(long issue, const std::string& user, const std::string& notes,
                   std::vector<detail> details);
  issue issue_now(long id) const;
  void set_status(long issue, long status);
  // `user` may not move issues from status `from` to `to`.
  void forbid_transition(const std::string& user, long from, long to);
  // Runs inside every PUT /issues/N.json and POST /issues/N/relations.json,
  // before the write is applied; the argument is the issue written.
  void before_write(std::function<void(fake_redmine&, long issue)> hook);
  std::size_t writes() const; // PUTs and relation POSTs answered

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tb::test
