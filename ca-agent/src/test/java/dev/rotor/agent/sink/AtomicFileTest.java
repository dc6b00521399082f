package dev.rotor.agent.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {

  @TempDir
  Path dir;

  @Test
  void replacesContentAndLeavesNoTemporaryFile() throws Exception {
    Path f = dir.resolve("sub/cert.pem");
    AtomicFile.write(f, "one".getBytes(), false);
    AtomicFile.write(f, "two".getBytes(), false);
    assertThat(Files.readString(f)).isEqualTo("two");
    try (Stream<Path> files = Files.list(f.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("cert.pem");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-r--r--");
  }

  @Test
  void keysAreOwnerOnly() throws Exception {
    Path f = dir.resolve("key.pem");
    AtomicFile.write(f, "key".getBytes(), true);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
  }

  @Test
  void aFailedReplaceKeepsTheOldFile() throws Exception {
    Path f = dir.resolve("cert.pem");
    AtomicFile.write(f, "old".getBytes(), false);
    // A directory cannot be replaced by a file: the rename fails after the temp file was written.
    Path blocked = dir.resolve("blocked");
    Files.createDirectories(blocked.resolve("child"));
    assertThatThrownBy(() -> AtomicFile.write(blocked, "new".getBytes(), false)).isInstanceOf(IOException.class);
    assertThat(Files.readString(f)).isEqualTo("old");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("blocked", "cert.pem");
    }
  }
}
