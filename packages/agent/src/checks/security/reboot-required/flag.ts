// Debian/Ubuntu's reboot flag: packages (kernel, libc, dbus...) create it in their postinst, with a .pkgs list.

/** The distinct package names of a `reboot-required.pkgs` file, in file order. */
export function parseRebootPackages(text: string): string[] {
  return [
    ...new Set(
      text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== ''),
    ),
  ];
}
