package dev.runbook4j.cli;

import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.journal.jdbc.JournalVerification;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code runbook4j verify [RUN_ID]}: checks the hash chain of one run, or of every run, and says what it proves. */
@Command(name = "verify", description = {
    "Checks the hash chain of a run (or of every run): every event must match its hash, numbers must run without gaps,"
        + " and the run's head row must name its last event. Exit 0 only if every run checked verifies.",
    "With the journal's key (--journal-key-file, RUNBOOK4J_JOURNAL_KEY_FILE or RUNBOOK4J_JOURNAL_KEY) each hash is an"
        + " HMAC: an event appended by someone without the key (a forged approval), or a head row re-pointed after"
        + " its run's tail was cut, is found. Without a key, damage is found but a forgery is not: whoever can write"
        + " the journal can recompute its chain."})
final class VerifyCommand implements Callable<Integer> {
  @Parameters(paramLabel = "RUN_ID", arity = "0..1")
  String runId;

  @Option(names = "--json", description = "Machine-readable: {\"check\", \"keyId\", \"runs\": [{\"runId\", \"verifies\","
      + " \"events\", \"firstBadEvent\", \"problem\"}]}.")
  boolean json;

  @CommandLine.Mixin
  Main.JournalOptions journal = new Main.JournalOptions();

  @Override
  public Integer call() throws Exception {
    try (JdbcJournal j = journal.open()) {
      JournalVerification.Check check = j.check();
      List<String> ids = new ArrayList<>();
      if (runId != null) {
        ids.add(runId);
      } else {
        ids.addAll(j.runIds());
        ids.addAll(j.runIdsWithoutHead());
      }
      List<Map<String, Object>> runs = new ArrayList<>();
      boolean allVerify = check != JournalVerification.Check.NOT_CHECKED;
      for (String id : ids) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runId", id);
        JournalVerification v = check == JournalVerification.Check.NOT_CHECKED ? null : j.verify(id);
        m.put("verifies", v != null && v.ok());
        m.put("events", v == null ? null : v.events());
        m.put("firstBadEvent", v == null ? null : v.firstBadSeq().orElse(null));
        m.put("problem", v == null ? null : v.problem().orElse(null));
        allVerify &= v != null && v.ok();
        runs.add(m);
      }
      if (runId != null && runs.get(0).get("problem") != null
          && String.valueOf(runs.get(0).get("problem")).endsWith("is not in the journal")) {
        throw new IllegalArgumentException("run " + runId + " is not in the journal");
      }
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("check", check.name());
        out.put("keyId", j.keyId().orElse(null));
        out.put("runs", runs);
        System.out.println(Main.JSON.writeValueAsString(out));
        return allVerify ? Main.OK : Main.INVALID;
      }
      System.out.println(switch (check) {
        case KEYED -> "events are chained with HMAC-SHA256 under the journal's key " + j.keyId().orElseThrow()
            + ": a forged or cut-off event is found";
        case UNKEYED -> "this journal has no key: its SHA-256 chains find damage (an edited, missing or reordered"
            + " event, a cut tail), but cannot find a forgery, since whoever can write the journal can recompute them;"
            + " a journal created with a key (RUNBOOK4J_JOURNAL_KEY_FILE) can";
        case NOT_CHECKED -> "this journal is keyed (key " + j.keyId().orElseThrow() + ") and no key was given: nothing"
            + " can be verified; give its key (--journal-key-file, RUNBOOK4J_JOURNAL_KEY_FILE or RUNBOOK4J_JOURNAL_KEY)";
      });
      int bad = 0;
      for (Map<String, Object> m : runs) {
        if (check == JournalVerification.Check.NOT_CHECKED) {
          System.out.println(m.get("runId") + "  not checked");
        } else if (Boolean.TRUE.equals(m.get("verifies"))) {
          System.out.println(m.get("runId") + "  verifies (" + m.get("events") + " events)");
        } else {
          bad++;
          System.out.println(m.get("runId") + "  DOES NOT VERIFY: " + m.get("problem"));
        }
      }
      if (check != JournalVerification.Check.NOT_CHECKED) {
        System.out.println(runs.size() + (runs.size() == 1 ? " run" : " runs") + " checked, " + bad
            + " that do not verify");
      }
      return allVerify ? Main.OK : Main.INVALID;
    }
  }
}
