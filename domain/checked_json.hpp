#pragma once
// Reading JSON that a person or a program sent, checked: every problem is
// reported with its JSON path ("$.tasks.demo.direction"), what is wrong and
// what to do, and reading goes on so that one round shows them all. Typed
// readers report and return nothing on a wrong value; unknown keys get a
// "did you mean"; duplicate keys and deep nesting are refused at parse time.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tb::checked {

using json = nlohmann::json;
using key_list = std::initializer_list<const char*>;

// One problem: where ("$.tasks.demo.direction"), what is wrong, what to do.
struct problem {
  std::string path;
  std::string message;
  std::string hint;
};

// Every problem is collected, not only the first: a user fixes an input in
// one round instead of one error at a time.
struct report {
  std::vector<problem> problems;
  void add(std::string path, std::string message, std::string hint = {}) {
    problems.push_back({std::move(path), std::move(message), std::move(hint)});
  }
};

// --- text: a user's strings in messages -----------------------------------------

// JSON-quoted and length-capped: messages stay one readable line, valid
// UTF-8, whatever the input held.
std::string quote(const std::string& s);
// Any bytes as printable ASCII (\xNN), capped.
std::string printable(const std::string& s);
std::string join(const std::vector<std::string>& items, const char* sep = ", ");
std::string join(key_list items);
// "\"a\", \"b\" or \"c\"".
std::string one_of(key_list choices);

// --- paths -----------------------------------------------------------------------

// path.key, or path["key"] for keys with dots or spaces, so a path never
// reads two ways.
std::string member(const std::string& path, const std::string& key);
std::string element(const std::string& path, std::size_t index);

// --- typed readers ------------------------------------------------------------------

const json* find(const json& object, const char* key); // null if absent
std::string got(const json& j);                        // "got string"
bool is_object_at(report& r, const json& j, const std::string& path);
bool is_array_at(report& r, const json& j, const std::string& path);
// Unknown keys are errors, never ignored: a misspelt key would otherwise
// leave a default in force without a word.
void check_keys(report& r, const json& object, const std::string& path, key_list allowed);
void check_keys(report& r, const json& object, const std::string& path,
                const std::vector<std::string>& allowed);
// "did you mean \"fields\"? " for a key one or two edits from an allowed
// one (a typo), else "": the hint check_keys gives, for readers that word
// the rest their own way.
std::string did_you_mean(const std::string& key, const std::vector<std::string>& allowed);
std::optional<std::string> string_at(report& r, const json& j, const std::string& path);
std::optional<std::string> nonempty_string_at(report& r, const json& j, const std::string& path);
std::optional<std::int64_t> integer_at(report& r, const json& j, const std::string& path,
                                       std::int64_t lo, std::int64_t hi, std::string hint = {});
// The index of the value in choices.
std::optional<std::size_t> choice_at(report& r, const json& j, const std::string& path,
                                     key_list choices);
std::optional<bool> bool_at(report& r, const json& j, const std::string& path);

// --- names ---------------------------------------------------------------------------

// Names of connections, tasks and projects appear in URLs and storage keys,
// so they stay within a safe alphabet; what says which name it is.
void check_name(report& r, const std::string& name, const std::string& path, const char* what);
// The name of an environment variable holding a secret (the secret itself
// never goes in a config file); nullopt, reported, if it is not one. holds:
// what the variable holds ("key"); example: a name to suggest.
std::optional<std::string> env_name_at(report& r, const json& v, const std::string& path,
                                       const std::string& holds, const std::string& example);

// --- parsing -------------------------------------------------------------------------

// Checked before parsing: nlohmann parses any depth, at a cost in memory
// proportional to it.
bool nests_deeper_than(const std::string& text, int limit);
// The document, or none with the problems reported: at "$" the syntax
// (not_json, then where and why, as read_json says it) or nesting deeper
// than max_nesting (nesting_hint says what is usual), and every duplicate
// key at its path. For what a person or a client sends: configurations,
// request bodies.
std::optional<json> parse(report& r, const std::string& text, int max_nesting,
                          const std::string& nesting_hint,
                          const std::string& not_json = "invalid JSON");

// The document, or none with why in `why`: where the text stops being JSON
// and why, as parse says it ("at byte 46 of 120, syntax error while parsing
// object key - unexpected '}'", the line and column too when the text has
// lines), never with the bytes read (they may be the invalid UTF-8 itself).
// Plain JSON rules, no limits beyond the text's size: for a tracker's answers.
std::optional<json> read_json(std::string_view text, std::string& why);

} // namespace tb::checked
