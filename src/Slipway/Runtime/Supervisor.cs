using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Runtime;

/// <summary>Owns every running instance of every app. Each instance's state change is written to the store (pid,
/// start time, launch key), so the next platform process knows which instances to adopt and which leftovers to kill.
/// Instances outlive this platform process: <see cref="DetachEverythingAsync"/> (any shutdown) leaves them running;
/// only <see cref="StopAsync"/> and <see cref="StopEverythingAsync"/> (`slipway down`) end them.</summary>
internal sealed class Supervisor(
    IProcessLauncher launcher,
    HealthProbe probe,
    LogStore logs,
    Store store,
    PortAllocator ports,
    Config.SecretRedactor redactor,
    TimeProvider clock,
    ILogger<Supervisor> logger,
    Sandbox.PortFirewall? firewall = null)
{
    private readonly ConcurrentDictionary<string, Instance> _instances = new();
    private volatile bool _shuttingDown;

    public Instance Start(InstanceSpec spec)
    {
        if (_shuttingDown)
        {
            // Nothing may start behind StopEverythingAsync's back: it would outlive the platform.
            throw new OperationCanceledException("the platform is shutting down");
        }
        var port = spec.Service.Type == Manifests.ServiceType.Web ? ports.Allocate() : 0;
        if (port != 0 && firewall is not null)
        {
            // Before the app can listen: its port answers only its own user (and the platform), never another machine.
            // A failure is logged by the firewall; the instance still starts (doctor and the log say the rules failed).
            _firewallReset.GetAwaiter().GetResult();
            firewall.OpenAsync(port, spec.Isolation.RunAs?.Uid ?? 0).GetAwaiter().GetResult();
        }
        var instance = new Instance(spec, port, launcher, probe, logs, clock, logger, Persist,
            (i, kind, message) => store.AddEvent(i.Spec.App, i.Spec.DeploymentId, kind, redactor.Redact(i.Spec.App, message)));
        _instances[spec.Id] = instance;
        instance.Start();
        return instance;
    }

    /// <summary>Takes over an instance an earlier platform process started, on its recorded port: back in rotation at
    /// once, probed from now on, restarted by its policy when it ends (or started anew at once if it is gone).</summary>
    public Instance Adopt(InstanceSpec spec, int port, Adoption adoption, int restarts, bool wasServing)
    {
        if (_shuttingDown)
        {
            throw new OperationCanceledException("the platform is shutting down");
        }
        if (port != 0)
        {
            // Its port rule was kept when the table was made again (ResetFirewallAsync).
            ports.Reserve(port);
        }
        var instance = new Instance(spec, port, launcher, probe, logs, clock, logger, Persist,
            (i, kind, message) => store.AddEvent(i.Spec.App, i.Spec.DeploymentId, kind, redactor.Redact(i.Spec.App, message)));
        instance.AdoptFrom(adoption, restarts, wasServing);
        _instances[spec.Id] = instance;
        instance.Start();
        return instance;
    }

    /// <summary>At start (in the background): the port rules made again in one transaction, with only the ports of the instances about to be
    /// adopted (by port and their user), so they stay protected throughout and a dead instance's port goes.</summary>
    public void ResetFirewall(IReadOnlyList<(int Port, int Uid)> adopted) =>
        _firewallReset = firewall is null ? Task.CompletedTask : Task.Run(() => firewall.ResetAsync(adopted));

    // The start's reset of the port rules: a port opened before it would be wiped by it.
    private Task _firewallReset = Task.CompletedTask;

    public IReadOnlyList<Instance> ForDeployment(string deploymentId) =>
        _instances.Values.Where(i => i.Spec.DeploymentId == deploymentId).OrderBy(i => i.Spec.Service.Name).ThenBy(i => i.Spec.Replica).ToList();

    /// <summary>Every instance the supervisor owns now, of every app.</summary>
    public IReadOnlyList<Instance> All() => _instances.Values.ToList();

    public IReadOnlyList<Instance> ForApp(string app) =>
        _instances.Values.Where(i => i.Spec.App == app).ToList();

    public async Task StopAsync(Instance instance)
    {
        if (instance.Detached)
        {
            return; // left running for the next platform process, which adopts it
        }
        await instance.StopAsync();
        _instances.TryRemove(instance.Spec.Id, out _);
        if (instance.Endpoint.Port != 0)
        {
            if (firewall is not null)
            {
                await firewall.CloseAsync(instance.Endpoint.Port, instance.Spec.Isolation.RunAs?.Uid ?? 0);
            }
            ports.Release(instance.Endpoint.Port);
        }
        store.MarkInstanceStopped(instance.Spec.Id, "stopped");
    }

    public Task StopAllAsync(IEnumerable<Instance> instances) => Task.WhenAll(instances.Select(StopAsync));

    public Task StopDeploymentAsync(string deploymentId) => StopAllAsync(ForDeployment(deploymentId));

    /// <summary>The platform process is going away (SIGTERM, a restart, an upgrade): every instance runs on, its row
    /// as it was, for the next platform process to adopt; the port rules stay so they stay protected.</summary>
    public async Task DetachEverythingAsync()
    {
        _shuttingDown = true;
        await Task.WhenAll(_instances.Values.ToList().Select(i => i.DetachAsync()));
    }

    /// <summary>`slipway down`: every instance stopped, the port rules removed.</summary>
    public async Task StopEverythingAsync()
    {
        _shuttingDown = true;
        await StopAllAsync(_instances.Values.ToList());
        if (firewall is not null)
        {
            await firewall.RemoveAsync();
        }
    }

    private void Persist(Instance instance)
    {
        if (instance.State == InstanceState.Stopped)
        {
            return; // StopAsync records the final state once the tree is gone.
        }
        if (instance.State == InstanceState.Crashed)
        {
            var tail = redactor.Redact(instance.Spec.App, string.Join("\n", instance.RecentLines().TakeLast(10).Select(l => "  " + l)));
            store.AddEvent(instance.Spec.App, instance.Spec.DeploymentId, "instance.crashed",
                $"{instance.Spec.Service.Name} replica {instance.Spec.Replica} crashed and is not restarted; last lines:\n{tail}");
        }
        store.UpsertInstance(new InstanceRecord(
            instance.Spec.Id, instance.Spec.DeploymentId, instance.Spec.App, instance.Spec.Service.Name, instance.Spec.Replica,
            instance.Endpoint.Port == 0 ? null : instance.Endpoint.Port, instance.Pid, instance.PidStart,
            JsonSpellings.Of(instance.State), instance.Restarts, clock.GetUtcNow(), null, instance.LaunchKey));
    }
}
