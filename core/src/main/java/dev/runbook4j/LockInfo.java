package dev.runbook4j;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * One lock as its lock manager holds it now: who holds it, under which fencing token, since when,
 * and which runs wait for it, first in line first.
 *
 * @param key the lock's key
 * @param holder the run that holds it, if one does
 * @param token the fencing token of the last grant (0 if never granted)
 * @param since when it was granted to its holder (wall-clock time), if the manager says
 * @param waiting the runs waiting for it, in the order they will get it
 * @since 0.2
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.2")
public record LockInfo(String key, Optional<String> holder, long token, Optional<Instant> since, List<String> waiting) {
  public LockInfo {
    Objects.requireNonNull(key, "key");
    holder = holder == null ? Optional.empty() : holder;
    since = since == null ? Optional.empty() : since;
    waiting = List.copyOf(waiting);
  }
}
