package dev.runbook4j.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The default worker pool grows when work queues behind blocked threads, within its bound. These
 * tests wait on real threads (the pool's own monitor runs on real time), each for at most seconds.
 */
class GrowingPoolTests {
  /** Counts every task as user code, as an action that blocks is. */
  private static final AtomicInteger ALL_IN_USER_CODE = new AtomicInteger(Integer.MAX_VALUE / 4);

  private static GrowingPool pool(int base, int max) {
    return pool(base, max, ALL_IN_USER_CODE);
  }

  private static GrowingPool pool(int base, int max, AtomicInteger inUserCode) {
    AtomicInteger n = new AtomicInteger();
    return new GrowingPool(base, max, inUserCode, r -> {
      Thread t = new Thread(r, "test-worker-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Polls {@code done} until it holds or ten seconds pass; the test's assertions say which. */
  private static void waitAtMostTenSeconds(java.util.function.BooleanSupplier done) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean() && System.nanoTime() < until) {
      Thread.sleep(10);   // a real wait: the pool's threads and its monitor run on real time
    }
  }

  /** A task that blocks until {@code release}, then counts {@code done} down. */
  private static Runnable blocked(CountDownLatch release, CountDownLatch done) {
    return () -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      done.countDown();
    };
  }

  @Test
  void sixtyFourTasksThatEachWaitForAllTheOthersAllRunAtOnce() throws Exception {
    GrowingPool p = pool(8, 1024);
    try {
      CountDownLatch started = new CountDownLatch(64);
      CountDownLatch release = new CountDownLatch(1);
      for (int i = 0; i < 64; i++) {
        p.execute(() -> {
          started.countDown();
          blocked(release, new CountDownLatch(1)).run();
        });
      }
      // a real wait: all 64 can start only if the pool grew past its 8 threads
      assertThat(started.await(10, TimeUnit.SECONDS)).as("all 64 started (pool %s)", p).isTrue();
      assertThat(p.getLargestPoolSize()).isBetween(64, 128);
      release.countDown();
      CountDownLatch quick = new CountDownLatch(1);
      p.execute(quick::countDown);
      assertThat(quick.await(10, TimeUnit.SECONDS)).isTrue();
      // idle again: back to its 8 threads, the others end (a real wait on real threads ending)
      waitAtMostTenSeconds(() -> p.getPoolSize() <= 8);
      assertThat(p.getPoolSize()).isLessThanOrEqualTo(8);
      assertThat(p.getCorePoolSize()).isEqualTo(8);
    } finally {
      p.shutdownNow();
    }
  }

  @Test
  void itNeverGrowsPastItsBoundAndQueuedWorkStillRuns() throws Exception {
    GrowingPool p = pool(2, 16);
    try {
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(40);
      for (int i = 0; i < 40; i++) {
        p.execute(blocked(release, done));
      }
      // a real wait for the monitor to have grown the pool to its bound (it doubles every 20 ms) and for
      // each new thread to have taken its task from the queue
      waitAtMostTenSeconds(() -> p.getPoolSize() >= 16 && p.getActiveCount() >= 16);
      assertThat(p.getPoolSize()).isEqualTo(16);
      assertThat(p.getQueue()).hasSize(24);
      release.countDown();
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(p.getLargestPoolSize()).isEqualTo(16);
    } finally {
      p.shutdownNow();
    }
  }

  @Test
  void threadsBlockedOutsideUserCodeDoNotMakeItGrow() throws Exception {
    GrowingPool p = pool(4, 1024, new AtomicInteger());   // nobody in user code: all wait for, say, the journal
    try {
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(40);
      for (int i = 0; i < 40; i++) {
        p.execute(blocked(release, done));
      }
      Thread.sleep(200);   // a real wait: ten times the pool's patience, on real threads
      assertThat(p.getPoolSize()).isEqualTo(4);
      release.countDown();
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.shutdownNow();
    }
  }

  @Test
  void quickTasksInABurstNeedNoMoreThanItsBaseThreads() throws Exception {
    GrowingPool p = pool(8, 1024);
    try {
      CountDownLatch done = new CountDownLatch(1000);
      for (int i = 0; i < 1000; i++) {
        p.execute(done::countDown);
      }
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
      // a burst of tasks that never block drains within the pool's patience most of the time; on a
      // busy machine it may grow once or twice, never towards its bound
      assertThat(p.getLargestPoolSize()).isLessThanOrEqualTo(32);
    } finally {
      p.shutdownNow();
    }
  }
}
