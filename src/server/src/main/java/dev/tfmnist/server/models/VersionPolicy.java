package dev.tfmnist.server.models;

import java.util.Collection;
import java.util.Collections;
import java.util.NavigableSet;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which of a base directory's versions are served, as TensorFlow Serving's
 * ServableVersionPolicy: the latest N (default 1), all, or specific ones.
 */
public sealed interface VersionPolicy {
  /** TF Serving's default: the highest version only. */
  VersionPolicy DEFAULT = latest(1);

  /** The versions to serve among those on disk. */
  SortedSet<Long> select(NavigableSet<Long> available);

  static VersionPolicy latest(int versions) {
    return new Latest(versions);
  }

  static VersionPolicy all() {
    return new All();
  }

  static VersionPolicy specific(Collection<Long> versions) {
    return new Specific(Collections.unmodifiableSortedSet(new TreeSet<>(versions)));
  }

  /** The {@code versions} highest versions. */
  record Latest(int versions) implements VersionPolicy {
    public Latest {
      if (versions < 1) {
        throw new IllegalArgumentException("the latest-versions policy needs at least 1 version,"
            + " got " + versions);
      }
    }

    @Override
    public SortedSet<Long> select(NavigableSet<Long> available) {
      var chosen = new TreeSet<Long>();
      for (Long v : available.descendingSet()) {
        if (chosen.size() == versions) {
          break;
        }
        chosen.add(v);
      }
      return chosen;
    }

    @Override
    public String toString() {
      return "latest " + versions;
    }
  }

  /** Every version on disk. */
  record All() implements VersionPolicy {
    @Override
    public SortedSet<Long> select(NavigableSet<Long> available) {
      return new TreeSet<>(available);
    }

    @Override
    public String toString() {
      return "all";
    }
  }

  /** These versions, those of them that are on disk. */
  record Specific(SortedSet<Long> versions) implements VersionPolicy {
    public Specific {
      if (versions.isEmpty()) {
        throw new IllegalArgumentException("the specific-versions policy needs at least one"
            + " version");
      }
    }

    @Override
    public SortedSet<Long> select(NavigableSet<Long> available) {
      var chosen = new TreeSet<>(available);
      chosen.retainAll(versions);
      return chosen;
    }

    @Override
    public String toString() {
      return "specific " + versions;
    }
  }
}
