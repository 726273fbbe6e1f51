using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Slipway;

/// <summary>File descriptors passed between processes over a Unix socket (SCM_RIGHTS), with a short text message: how a
/// platform process hands its listening sockets to its successor, and to the supervisor's store (systemd's FDSTORE, or
/// the local launcher's), so connections waiting in a socket's backlog are never reset by a restart. .NET has no API for
/// control messages, so msghdr and cmsghdr are laid out by hand (Linux, 64-bit: x64 and arm64 share the layout).</summary>
internal static class FdPassing
{
    private const int SolSocket = 1, ScmRights = 1, FGetFd = 1, FSetFd = 2, FdCloExec = 1;
    private const int MaxFds = 64;
    private const int MaxText = 8192;

    // msghdr: name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 48 (56 bytes).
    // iovec: base 0, len 8 (16 bytes). cmsghdr: len 0 (8 bytes), level 8, type 12, data from 16.
    private const int MsgHdrSize = 56, IovSize = 16, CmsgHeader = 16;

    /// <summary>Sends <paramref name="text"/> with <paramref name="fds"/> in one message (the socket may be a connected
    /// datagram, seqpacket or stream socket).</summary>
    public static void Send(Socket socket, string text, IReadOnlyList<int> fds)
    {
        if (fds.Count > MaxFds)
        {
            throw new ArgumentException($"at most {MaxFds} descriptors per message", nameof(fds));
        }
        var payload = Encoding.UTF8.GetBytes(text);
        var controlLength = fds.Count == 0 ? 0 : CmsgHeader + Align(4 * fds.Count);
        var memory = Marshal.AllocHGlobal(MsgHdrSize + IovSize + payload.Length + controlLength);
        try
        {
            var header = memory;
            var iov = memory + MsgHdrSize;
            var data = iov + IovSize;
            var control = data + payload.Length;
            Zero(memory, MsgHdrSize + IovSize + payload.Length + controlLength);
            Marshal.Copy(payload, 0, data, payload.Length);
            Marshal.WriteIntPtr(iov, 0, data);
            Marshal.WriteInt64(iov, 8, payload.Length);
            Marshal.WriteIntPtr(header, 16, iov);
            Marshal.WriteInt64(header, 24, 1);
            if (fds.Count > 0)
            {
                Marshal.WriteInt64(control, 0, CmsgHeader + 4 * fds.Count);
                Marshal.WriteInt32(control, 8, SolSocket);
                Marshal.WriteInt32(control, 12, ScmRights);
                for (var i = 0; i < fds.Count; i++)
                {
                    Marshal.WriteInt32(control, CmsgHeader + 4 * i, fds[i]);
                }
                Marshal.WriteIntPtr(header, 32, control);
                Marshal.WriteInt64(header, 40, controlLength);
            }
            var fd = (int)socket.Handle;
            while (SendMsg(fd, header, MsgNoSignal) < 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error == EAgain && socket.Poll(5_000_000, SelectMode.SelectWrite))
                {
                    continue; // a socket .NET made non-blocking, full for a moment
                }
                if (error != EIntr)
                {
                    throw new IOException($"sending descriptors failed: {Marshal.GetLastPInvokeErrorMessage()}");
                }
            }
        }
        finally
        {
            Marshal.FreeHGlobal(memory);
        }
    }

    /// <summary>Receives one message and the descriptors that came with it (now open in this process, close-on-exec).
    /// Blocks (at most <paramref name="timeout"/>, then <see cref="TimeoutException"/>, on a non-blocking socket); an empty
    /// text and no descriptors means the peer closed the connection.</summary>
    public static (string Text, IReadOnlyList<int> Fds) Receive(Socket socket, TimeSpan? timeout = null)
    {
        var controlLength = CmsgHeader + Align(4 * MaxFds);
        var memory = Marshal.AllocHGlobal(MsgHdrSize + IovSize + MaxText + controlLength);
        try
        {
            var header = memory;
            var iov = memory + MsgHdrSize;
            var data = iov + IovSize;
            var control = data + MaxText;
            Zero(memory, MsgHdrSize + IovSize + MaxText + controlLength);
            Marshal.WriteIntPtr(iov, 0, data);
            Marshal.WriteInt64(iov, 8, MaxText);
            Marshal.WriteIntPtr(header, 16, iov);
            Marshal.WriteInt64(header, 24, 1);
            Marshal.WriteIntPtr(header, 32, control);
            Marshal.WriteInt64(header, 40, controlLength);
            nint read;
            while (true)
            {
                read = RecvMsg((int)socket.Handle, header, MsgCmsgCloExec);
                var error = read < 0 ? Marshal.GetLastPInvokeError() : 0;
                if (error == EAgain)
                {
                    // A socket .NET made non-blocking: wait until a message is there.
                    if (!socket.Poll(timeout is { } limit ? (int)limit.TotalMicroseconds : -1, SelectMode.SelectRead))
                    {
                        throw new TimeoutException("no message within " + Durations.Format(timeout!.Value));
                    }
                    continue;
                }
                if (error != EIntr)
                {
                    break;
                }
            }
            if (read < 0)
            {
                throw new IOException($"receiving descriptors failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }
            var fds = new List<int>();
            var used = Marshal.ReadInt64(header, 40);
            for (long offset = 0; offset + CmsgHeader <= used;)
            {
                var length = Marshal.ReadInt64(control, (int)offset);
                if (length < CmsgHeader)
                {
                    break;
                }
                if (Marshal.ReadInt32(control, (int)offset + 8) == SolSocket && Marshal.ReadInt32(control, (int)offset + 12) == ScmRights)
                {
                    for (var i = 0; i < (length - CmsgHeader) / 4; i++)
                    {
                        fds.Add(Marshal.ReadInt32(control, (int)offset + CmsgHeader + 4 * i));
                    }
                }
                offset += CmsgHeader + Align((int)(length - CmsgHeader));
            }
            if ((Marshal.ReadInt32(header, 48) & MsgCTrunc) != 0)
            {
                // More descriptors came than fit: never act on a partial set.
                foreach (var fd in fds)
                {
                    CloseQuietly(fd);
                }
                throw new IOException($"more than {MaxFds} descriptors came in one message");
            }
            var bytes = new byte[read];
            Marshal.Copy(data, bytes, 0, (int)read);
            return (Encoding.UTF8.GetString(bytes), fds);
        }
        finally
        {
            Marshal.FreeHGlobal(memory);
        }
    }

    /// <summary>A second descriptor for the same open socket or file (close-on-exec), owned by whoever takes it.</summary>
    public static int Duplicate(int fd)
    {
        var copy = Fcntl(fd, FDupFdCloExec, 3);
        if (copy < 0)
        {
            throw new IOException($"dup of descriptor {fd} failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }
        return copy;
    }

    /// <summary>Lets a child process inherit <paramref name="fd"/> (or not).</summary>
    public static void SetInheritable(int fd, bool inheritable)
    {
        var flags = Fcntl(fd, FGetFd, 0);
        if (flags < 0 || Fcntl(fd, FSetFd, inheritable ? flags & ~FdCloExec : flags | FdCloExec) < 0)
        {
            throw new IOException($"cannot change descriptor {fd}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    /// <summary>A listening (or any) socket object over a descriptor received or inherited.</summary>
#pragma warning disable CA2000 // the socket owns the handle and closes it when disposed
    public static Socket SocketOf(int fd) => new(new SafeSocketHandle(fd, ownsHandle: true));
#pragma warning restore CA2000

    public static void CloseQuietly(int fd) => _ = Close(fd);

    private const int FDupFdCloExec = 1030, MsgCmsgCloExec = 0x40000000, MsgNoSignal = 0x4000, MsgCTrunc = 0x8, EIntr = 4, EAgain = 11;

    private static int Align(int length) => (length + 7) & ~7;

    private static void Zero(IntPtr memory, int length)
    {
        for (var i = 0; i < length; i++)
        {
            Marshal.WriteByte(memory, i, 0);
        }
    }

    [DllImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static extern nint SendMsg(int fd, IntPtr message, int flags);

    [DllImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static extern nint RecvMsg(int fd, IntPtr message, int flags);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
