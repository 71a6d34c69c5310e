package dev.runbook4j;

import java.time.Instant;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * A runner: one engine's claim on the runs it drives, as the journal records it. Every engine
 * instance on a shared journal is a runner of its own (by default its id is the host, the process
 * id and a random part), so two processes never drive one run.
 *
 * @param id the runner's id
 * @param host the host it runs on, or empty when the journal does not say
 * @param pid its process id, or 0 when the journal does not say
 * @param since when it first claimed a run or renewed its lease, or null when the journal does not say
 * @param aliveUntil until when its lease holds unless it renews it
 * @since 0.2
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.2")
public record RunnerInfo(String id, String host, long pid, Instant since, Instant aliveUntil) {
  public RunnerInfo {
    Objects.requireNonNull(id, "id");
    host = host == null ? "" : host;
  }

  /** {@code runner 'ID' (host H, pid P, since T)}: how messages name a runner. */
  public String describe() {
    StringBuilder b = new StringBuilder("runner '").append(id).append('\'');
    if (!host.isEmpty() || pid != 0 || since != null) {
      b.append(" (");
      String sep = "";
      if (!host.isEmpty()) {
        b.append("host ").append(host);
        sep = ", ";
      }
      if (pid != 0) {
        b.append(sep).append("pid ").append(pid);
        sep = ", ";
      }
      if (since != null) {
        b.append(sep).append("since ").append(since);
      }
      b.append(')');
    }
    return b.toString();
  }

  @Override
  public String toString() {
    return describe();
  }
}
