package dev.rotor.load;

/** A bad command line: the message says what is wrong; {@link RotorLoad} prints it and exits 2. */
final class UsageException extends Exception {

  UsageException(String message) {
    super(message);
  }
}
