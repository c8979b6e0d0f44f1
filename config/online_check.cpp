#include "config/online_check.hpp"

#include "config/task_rules.hpp"
#include "domain/checked_json.hpp"

namespace tb::config {

namespace {

using checked::member;
using checked::quote;
using takes = field_catalogue::takes;

// A few of a list for a hint: the first 20, and how many more.
std::string some_of(const std::set<std::string>& items) {
  std::vector<std::string> shown;
  for (auto& i : items) {
    if (shown.size() == 20)
      break;
    shown.push_back(quote(i));
  }
  auto out = checked::join(shown);
  if (items.size() > shown.size())
    out += " and " + std::to_string(items.size() - shown.size()) + " more";
  return out.empty() ? "none" : out;
}

// The issue fields of `c` (not "activity", the time entries' own).
std::vector<std::string> names_of(const tracker_catalogue& c) {
  std::vector<std::string> out;
  if (c.fields)
    for (auto& [name, f] : *c.fields)
      if (name != "activity")
        out.push_back(name);
  return out;
}

// Why `value` is not one `field` of `c` takes; nullopt when it is (or
// when that is not known). Empty is always taken: a cleared field.
std::optional<problem> not_taken(const tracker_catalogue& c, const std::string& field,
                                 const std::string& value) {
  auto* f = c.field(field);
  if (!f || value.empty())
    return std::nullopt;
  if (f->what == takes::listed && !f->values.count(value))
    return problem{"", c.where + " has no " + field + " " + quote(value),
                   "its values: " + some_of(f->values)};
  if (f->what == takes::users && !c.has_user(value))
    return problem{"", c.where + " has no user with the login " + quote(value),
                   "logins are case-sensitive; use one the tracker has"};
  return std::nullopt;
}

class checker {
 public:
  checker(const task_config& t, const tracker_catalogue& source, const tracker_catalogue& target)
    : t_(t), source_(source), target_(target), path_(member("$.tasks", t.name)),
      rules_(rules_of(t)) {}

  online_report run() {
    filter_fields(t_.filter, source_, "filter");
    if (t_.dir == direction::two_way)
      filter_fields(t_.target_filter, target_, "target_filter");
    field_mappings();
    mappings(t_.value_mappings, "value_mappings", target_, true);
    if (t_.dir == direction::two_way)
      mappings(t_.reverse_value_mappings, "reverse_value_mappings", source_, false);
    user_mappings();
    closed_status();
    lists_covered(source_, target_, t_.value_mappings, true);
    fields_of_some_trackers(source_, target_, t_.value_mappings, true);
    if (t_.dir == direction::two_way) {
      lists_covered(target_, source_, t_.reverse_value_mappings, false);
      fields_of_some_trackers(target_, source_, t_.reverse_value_mappings, false);
    }
    for (auto* c : {&source_, &target_})
      for (auto& what : c->unread)
        out_.warnings.push_back({path_, c->where + ": not checked: " + what,
                                 "give the connection an administrator's API key to check it"});
    return std::move(out_);
  }

 private:
  std::string at(const std::string& key) const { return member(path_, key); }
  void add(std::string path, const problem& p) {
    out_.problems.push_back({std::move(path), p.message, p.hint});
  }

  // A source field's name on the target.
  std::string on_target(const std::string& field) const { return rules_[0].map(field); }

  void unknown_field(const std::string& path, const tracker_catalogue& c,
                     const std::string& field, const std::string& what) {
    auto known = names_of(c);
    out_.problems.push_back({path, what + " " + quote(field) + ", which " + c.where
                                     + " does not have",
                             checked::did_you_mean(field, known) + "its fields: "
                               + checked::join(known) + " (names are case-sensitive)"});
  }

  void filter_fields(const std::optional<tb::filter>& f, const tracker_catalogue& c,
                     const std::string& key) {
    if (!f)
      return;
    // "activity" is a time entry's, not an issue's: no filter can read it.
    for (auto& field : f->fields())
      if (field != "created" && field != "updated"
          && (field == "activity" || !c.has_field(field)))
        unknown_field(at(key), c, field, "the filter names the field");
    for (auto& cmp : f->comparisons())
      for (auto& v : cmp.values)
        if (auto p = not_taken(c, cmp.field, v))
          out_.problems.push_back({at(key), "at column " + std::to_string(cmp.column) + ": "
                                              + p->message,
                                   p->hint});
  }

  void field_mappings() {
    for (auto& [from, to] : t_.field_mappings) {
      auto path = member(at("field_mappings"), from);
      if (!source_.has_field(from))
        unknown_field(path, source_, from, "maps the field");
      if (!target_.has_field(to))
        unknown_field(path, target_, to, "maps to the field");
    }
    renamed_by_rules(source_, target_, rules_[0], "rules");
    if (t_.dir == direction::two_way)
      renamed_by_rules(target_, source_, rules_[1], "reverse_rules");
  }

  // Every known field of `from` a rule renames must land on a field of `to`.
  void renamed_by_rules(const tracker_catalogue& from, const tracker_catalogue& to,
                        const field_rules& rules, const char* key) {
    if (!rules.rename_rules)
      return;
    for (auto& field : names_of(from)) {
      if (rules.rename.count(field))
        continue;
      auto renamed = rules.map(field);
      if (renamed != field && !to.has_field(renamed))
        unknown_field(member(at("field_mappings"), key), to, renamed,
                      "renames " + quote(field) + " to the field");
    }
  }

  // The values a mapping writes, checked against the side they go to.
  void mappings(const std::map<std::string, value_mapping>& all, const std::string& key,
                const tracker_catalogue& to, bool forward) {
    for (auto& [field, m] : all) {
      auto path = member(at(key), field);
      const auto& from = forward ? source_ : target_;
      auto from_name = forward ? field : on_target(field);
      auto to_name = forward ? on_target(field) : field;
      if (field == "activity" && !(from.has_field(field) && to.has_field(field)))
        continue; // a tracker without time entries: no activity is written there
      if (!from.has_field(from_name)) {
        unknown_field(path, from, from_name, "maps values of the field");
        continue;
      }
      auto& spec = m.spec();
      for (auto& [a, b] : spec.values)
        if (auto p = not_taken(to, to_name, b))
          add(path, {"", quote(a) + " becomes " + quote(b) + ", but " + p->message, p->hint});
      for (std::size_t i = 0; i < spec.rules.size(); ++i)
        if (spec.rules[i].to.find('\\') == std::string::npos) // no group: a fixed value
          if (auto p = not_taken(to, to_name, spec.rules[i].to))
            add(checked::element(member(path, "rules"), i) + ".to", *p);
      made_by_rules(m, from.field(from_name), to, to_name, path);
      if (spec.unmapped == unmapped_value::fallback)
        if (auto p = not_taken(to, to_name, spec.fallback))
          add(member(path, "default"), *p);
    }
  }

  // What a rule with groups writes depends on the value: each value the
  // side it maps from lists, as the rule that takes it turns it.
  void made_by_rules(const value_mapping& m, const field_catalogue* from_field,
                     const tracker_catalogue& to, const std::string& to_name,
                     const std::string& path) {
    if (!from_field || from_field->what != takes::listed)
      return;
    auto& rules = m.spec().rules;
    for (auto& v : from_field->values) {
      auto i = m.rule_for(v);
      if (!i || rules[*i].to.find('\\') == std::string::npos)
        continue;
      auto made = m.map(v).value_or("");
      if (auto p = not_taken(to, to_name, made))
        add(checked::element(member(path, "rules"), *i) + ".to",
            {"", quote(v) + " becomes " + quote(made) + ", but " + p->message, p->hint});
    }
  }

  void user_mappings() {
    for (auto& [from, to] : t_.user_mappings) {
      auto path = member(at("user_mappings"), from);
      if (!target_.has_user(to))
        add(path, {"", target_.where + " has no user with the login " + quote(to),
                   "logins are case-sensitive; map to one the tracker has"});
      if (t_.dir == direction::two_way && !source_.has_user(from))
        add(path, {"", source_.where + " has no user with the login " + quote(from),
                   "a two-way task maps it back; map from one the source has"});
    }
  }

  // The status close-twin sets, on each side a twin can be closed on.
  void closed_status() {
    if (t_.on_deleted != deleted_policy::close_twin && t_.on_filter_exit != filter_exit::close_twin)
      return;
    for (auto* c : {&target_, &source_}) {
      if (c == &source_ && t_.dir != direction::two_way)
        break;
      if (auto p = not_taken(*c, core_field::status, t_.closed_status))
        add(at("closed_status"), {"", "close-twin sets it, but " + p->message, p->hint});
    }
  }

  // Every value `from` lists for a field, as it arrives on `to`: one the
  // target does not take makes each issue that has it an error item.
  void lists_covered(const tracker_catalogue& from, const tracker_catalogue& to,
                     const std::map<std::string, value_mapping>& all, bool forward) {
    if (!from.fields)
      return;
    for (auto& [from_name, f] : *from.fields) {
      if (f.what != takes::listed)
        continue;
      auto source_name = forward ? from_name : source_name_of(from_name);
      auto to_name = forward ? on_target(from_name) : source_name;
      auto* target_field = to.field(to_name);
      if (!target_field || target_field->what != takes::listed)
        continue;
      auto m = all.find(source_name);
      std::vector<std::string> missing;
      for (auto& v : f.values) {
        if (m != all.end() && (m->second.spec().values.count(v) || m->second.rule_for(v)))
          continue; // an entry of the table or a rule's: checked by mappings() above
        auto mapped = m == all.end() ? std::optional<std::string>{v} : m->second.map(v);
        if (mapped && !mapped->empty() && !target_field->values.count(*mapped))
          missing.push_back(quote(v) + (*mapped == v ? "" : " (as " + quote(*mapped) + ")"));
      }
      if (missing.empty())
        continue;
      auto key = forward ? "value_mappings" : "reverse_value_mappings";
      out_.warnings.push_back(
        {member(at(key), source_name),
         from.where + " lists " + from_name + " values that " + to.where + " does not have: "
           + checked::join(missing) + "; an issue with one of them will be an error item",
         "map them in " + std::string{key} + "." + source_name + " to values of: "
           + some_of(target_field->values) + ", or add them to the tracker"});
    }
  }

  // A custom field `to` has on some trackers' issues only: a value of it on
  // an issue that arrives as another tracker is dropped by the tracker, so
  // that issue would be an error item.
  void fields_of_some_trackers(const tracker_catalogue& from, const tracker_catalogue& to,
                               const std::map<std::string, value_mapping>& all, bool forward) {
    auto* from_trackers = from.field(core_field::tracker);
    auto* to_trackers = to.field(core_field::tracker);
    if (!from.fields || !from_trackers || from_trackers->what != takes::listed || !to_trackers)
      return;
    auto tracker_mapping = all.find(core_field::tracker);
    for (auto& [from_name, f] : *from.fields) {
      if (is_core_field(from_name) || from_name == "activity")
        continue;
      auto to_name = forward ? on_target(from_name) : source_name_of(from_name);
      auto* target_field = to.field(to_name);
      if (!target_field || !target_field->trackers)
        continue;
      std::set<std::string> missing;
      for (auto& v : f.trackers ? *f.trackers : from_trackers->values) {
        auto arrives = tracker_mapping == all.end() ? std::optional<std::string>{v}
                                                    : tracker_mapping->second.map(v);
        if (arrives && to_trackers->values.count(*arrives)
            && !target_field->trackers->count(*arrives))
          missing.insert(*arrives);
      }
      if (missing.empty())
        continue;
      out_.warnings.push_back(
        {at(forward ? "target" : "source"),
         to.where + " has the field " + quote(to_name) + " on issues of "
           + (target_field->trackers->empty() ? std::string{"no tracker"}
                                              : some_of(*target_field->trackers))
           + " only: an issue that arrives as " + some_of(missing) + " with a value in "
           + quote(to_name) + " will be an error item",
         "enable the field for those trackers (Redmine: Administration, Custom fields), or leave "
         "such issues out with a filter"});
    }
  }

  // A target field's source name: the field_mappings entry that renames to it.
  std::string source_name_of(const std::string& target_name) const {
    for (auto& [from, to] : t_.field_mappings)
      if (to == target_name)
        return from;
    for (auto& field : names_of(source_))
      if (on_target(field) == target_name)
        return field;
    return target_name;
  }

  const task_config& t_;
  const tracker_catalogue& source_;
  const tracker_catalogue& target_;
  std::string path_;
  std::array<field_rules, 2> rules_;
  online_report out_;
};

} // namespace

online_report check_online(const task_config& t, const tracker_catalogue& source,
                           const tracker_catalogue& target) {
  return checker{t, source, target}.run();
}

} // namespace tb::config
