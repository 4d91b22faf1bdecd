namespace Csbuild.Cache;

/// <summary>
/// An exclusive lock between processes on a lock file. .NET takes a POSIX advisory lock for FileShare.None,
/// so the kernel releases it when the holder dies, even on SIGKILL.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    public static FileLock Acquire(string path, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(5));
        var delay = 1;
        while (true)
        {
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 50);
            }
        }
    }

    /// <summary>Waits (without blocking a thread) until the lock is free; the holder may be running a long step.</summary>
    public static async Task<FileLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        var delay = 5;
        while (true)
        {
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                await Task.Delay(delay, cancellationToken);
                delay = Math.Min(delay * 2, 100);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
