package dev.runbook4j.cli;

import dev.runbook4j.RunbookEngine;
import dev.runbook4j.notify.WebhookNotifier;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Where a script's messages go: a webhook per channel, from {@code --notify CHANNEL=URL} (or
 * {@code CHANNEL=env:VAR}, the URL read from that variable, out of the process list) and from the
 * environment, {@code RUNBOOK4J_NOTIFY_<CHANNEL>=URL} (the channel upper-cased, anything but letters
 * and digits as {@code _}). Every command that drives a run reads them, so a run resumed or approved
 * in another shell sends its messages too.
 */
final class NotifyOptions {
  @Option(names = "--notify", paramLabel = "CHANNEL=URL", description = "A webhook for the channel CHANNEL"
      + " (CHANNEL=env:VAR reads the URL from VAR); RUNBOOK4J_NOTIFY_<CHANNEL>=URL in the environment does the same.")
  List<String> pairs = new ArrayList<>();

  /** Adds a webhook notifier for every channel the options and the environment name. */
  void configure(RunbookEngine.Builder b, java.util.Set<String> channels) {
    Map<String, String> urls = new LinkedHashMap<>();
    for (String ch : channels) {
      String v = System.getenv("RUNBOOK4J_NOTIFY_" + ch.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"));
      if (v != null && !v.isBlank()) {
        urls.put(ch, v.strip());
      }
    }
    for (String p : pairs) {
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--notify takes CHANNEL=URL, was '" + p.replaceAll("=.*", "=...") + "'");
      }
      String ch = p.substring(0, eq);
      String url = p.substring(eq + 1);
      if (url.startsWith("env:")) {
        String var = url.substring(4);
        url = System.getenv(var);
        if (url == null || url.isBlank()) {
          throw new IllegalArgumentException("--notify " + ch + "=env:" + var + ": the variable " + var + " is not set");
        }
      }
      urls.put(ch, url.strip());
    }
    urls.forEach((ch, url) -> {
      URI uri;
      try {
        uri = URI.create(url);
        b.notifier(ch, WebhookNotifier.builder(uri).build());
      } catch (IllegalArgumentException e) {
        // the URL may hold a token: it is not shown
        throw new IllegalArgumentException("the webhook of channel '" + ch + "' is not an http or https URL with a"
            + " host", null);
      }
    });
  }
}
