// Slipway runs apps as Linux process groups (setsid, /proc, signals): it is a Linux program.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
