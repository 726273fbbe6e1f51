using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Slipway.Domains;
using Slipway.Edge;
using Slipway.Jobs;
using Slipway.Monitoring;

namespace Slipway.Api;

/// <summary>JSON metadata generated at compile time for what the API and the CLI exchange: no reflection, no
/// JIT-compiled converters and accessors when a CLI command starts.
/// <see cref="JsonSpellings"/> puts it first in every options instance it makes or completes, with reflection after
/// it for any type not listed here, so a type missing from this list is slower, never spelled differently. The
/// spellings themselves come from the options at run time (camelCase, <see cref="JsonSpellings.UtcTimeConverter"/>,
/// <see cref="JsonSpellings.DurationConverter"/>) and from the attributes on the types (enum converters,
/// [JsonIgnore]); the converters named here only matter to <see cref="Default"/>'s own options.
///
/// Left to reflection: types private to a command (DeployCommands' CancelResult, DoctorCommand's Check), anonymous
/// objects, and the app spec (<see cref="Manifests.AppSpec"/> and the Manifests records in it). The generator sets
/// init-only properties that are no constructor parameters in one object initializer, a missing key included, with
/// the value a new instance has: a default computed from another property is lost that way (ServiceSpec.Strategy of
/// a worker recorded without "strategy" would read as start-first), so reflection, which sets only what the JSON
/// holds, reads recorded releases.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, GenerationMode = JsonSourceGenerationMode.Metadata,
    Converters = [typeof(JsonSpellings.UtcTimeConverter), typeof(JsonSpellings.DurationConverter)])]
// Apps, deployments, instances, events, hosts, volumes.
[JsonSerializable(typeof(PingDto))]
[JsonSerializable(typeof(UpgradeRequest))]
[JsonSerializable(typeof(UpgradeDto))]
[JsonSerializable(typeof(AppDto))]
[JsonSerializable(typeof(List<AppDto>))]
[JsonSerializable(typeof(DeploymentDto))]
[JsonSerializable(typeof(List<DeploymentDto>))]
[JsonSerializable(typeof(List<EventDto>))]
[JsonSerializable(typeof(DestroyPlanDto))]
[JsonSerializable(typeof(DestroyedDto))]
[JsonSerializable(typeof(List<HostDto>))]
[JsonSerializable(typeof(VolumeDto))]
[JsonSerializable(typeof(List<VolumeDto>))]
[JsonSerializable(typeof(IsolationDto))]
[JsonSerializable(typeof(CancelledDto))]
[JsonSerializable(typeof(KeyRotatedDto))]
[JsonSerializable(typeof(StorageBody))]
[JsonSerializable(typeof(StorageDto))]
[JsonSerializable(typeof(List<StorageDto>))]
[JsonSerializable(typeof(StorageKeysBody))]
[JsonSerializable(typeof(StorageRemovedDto))]
[JsonSerializable(typeof(BackupKeyDto))]
[JsonSerializable(typeof(SyncDto))]
[JsonSerializable(typeof(FailingStoreDto))]
[JsonSerializable(typeof(List<VerifiedCopyDto>))]
[JsonSerializable(typeof(NamedDto))]
[JsonSerializable(typeof(List<DbServerDto>))]
[JsonSerializable(typeof(DeployBody))]
[JsonSerializable(typeof(PromoteBody))]
[JsonSerializable(typeof(RollbackBody))]
[JsonSerializable(typeof(DestroyBody))]
[JsonSerializable(typeof(HostsBody))]
// Config variables.
[JsonSerializable(typeof(ConfigVarDto))]
[JsonSerializable(typeof(List<ConfigVarDto>))]
[JsonSerializable(typeof(List<ConfigDiffDto>))]
[JsonSerializable(typeof(ConfigChangeDto))]
[JsonSerializable(typeof(ConfigChangeBody))]
// Crons, messages, metrics.
[JsonSerializable(typeof(CronRunRecord))]
[JsonSerializable(typeof(List<CronRunRecord>))]
[JsonSerializable(typeof(List<CronView>))]
[JsonSerializable(typeof(MessageView))]
[JsonSerializable(typeof(List<MessageView>))]
[JsonSerializable(typeof(List<SeriesSnapshot>))]
// Log drains.
[JsonSerializable(typeof(GitRemoteDto))]
[JsonSerializable(typeof(List<GitRemoteDto>))]
[JsonSerializable(typeof(GitCreateBody))]
[JsonSerializable(typeof(GitMapBody))]
[JsonSerializable(typeof(GitConnectBody))]
[JsonSerializable(typeof(GitPreviewsBody))]
[JsonSerializable(typeof(GitPreviewSettingsDto))]
[JsonSerializable(typeof(List<GitPreviewDto>))]
[JsonSerializable(typeof(GitConnectedDto))]
[JsonSerializable(typeof(List<GitDeliveryDto>))]
[JsonSerializable(typeof(DrainView))]
[JsonSerializable(typeof(List<DrainView>))]
[JsonSerializable(typeof(DrainAddBody))]
[JsonSerializable(typeof(Monitoring.Alerts.AlertsView))]
[JsonSerializable(typeof(Monitoring.Alerts.AlertRuleBody))]
[JsonSerializable(typeof(List<Monitoring.Alerts.AlertView>))]
// Uptime checks and status pages.
[JsonSerializable(typeof(Slipway.Monitoring.Uptime.UptimeView))]
[JsonSerializable(typeof(List<Slipway.Monitoring.Uptime.UptimeView>))]
[JsonSerializable(typeof(UptimeAddBody))]
[JsonSerializable(typeof(UptimeSetBody))]
[JsonSerializable(typeof(Slipway.Monitoring.StatusPages.StatusPageView))]
[JsonSerializable(typeof(List<Slipway.Monitoring.StatusPages.StatusPageView>))]
[JsonSerializable(typeof(Slipway.Monitoring.StatusPages.StatusNoteView))]
[JsonSerializable(typeof(StatusPageCreateBody))]
[JsonSerializable(typeof(StatusNoteBody))]
[JsonSerializable(typeof(Monitoring.Alerts.Channels.ChannelView))]
[JsonSerializable(typeof(List<Monitoring.Alerts.Channels.ChannelView>))]
[JsonSerializable(typeof(Monitoring.Alerts.Channels.ChannelAdded))]
[JsonSerializable(typeof(Monitoring.Alerts.Channels.ChannelTestResult))]
[JsonSerializable(typeof(ChannelAddBody))]
// Domains, certificates, the CA.
[JsonSerializable(typeof(DomainDto))]
[JsonSerializable(typeof(DomainListDto))]
[JsonSerializable(typeof(DomainCheckResult))]
[JsonSerializable(typeof(AcmeDto))]
[JsonSerializable(typeof(DomainAddBody))]
[JsonSerializable(typeof(AcmeSetBody))]
[JsonSerializable(typeof(CertificateDto))]
[JsonSerializable(typeof(CertificateListDto))]
[JsonSerializable(typeof(CertificateInstallBody))]
[JsonSerializable(typeof(CaDto))]
// Databases and backups.
[JsonSerializable(typeof(DatabaseDto))]
[JsonSerializable(typeof(List<DatabaseDto>))]
[JsonSerializable(typeof(DatabaseCreatedDto))]
[JsonSerializable(typeof(DatabaseUrlDto))]
[JsonSerializable(typeof(BackupDto))]
[JsonSerializable(typeof(List<BackupDto>))]
[JsonSerializable(typeof(RestoreDto))]
[JsonSerializable(typeof(BranchDto))]
[JsonSerializable(typeof(ClusterDto))]
[JsonSerializable(typeof(DatabaseCreateBody))]
[JsonSerializable(typeof(RestoreBody))]
[JsonSerializable(typeof(AttachBody))]
[JsonSerializable(typeof(BranchBody))]
[JsonSerializable(typeof(RecoverBody))]
[JsonSerializable(typeof(ServerBody))]
// Users, tokens, the audit log.
[JsonSerializable(typeof(WhoAmIDto))]
[JsonSerializable(typeof(UserDto))]
[JsonSerializable(typeof(List<UserDto>))]
[JsonSerializable(typeof(RemovedUserDto))]
[JsonSerializable(typeof(TotpDto))]
[JsonSerializable(typeof(LoginDto))]
[JsonSerializable(typeof(TokenDto))]
[JsonSerializable(typeof(List<TokenDto>))]
[JsonSerializable(typeof(List<AuditDto>))]
[JsonSerializable(typeof(SetupBody))]
[JsonSerializable(typeof(LoginBody))]
[JsonSerializable(typeof(UserBody))]
[JsonSerializable(typeof(RoleBody))]
[JsonSerializable(typeof(PasswordBody))]
[JsonSerializable(typeof(TokenBody))]
// The dashboard's metrics charts.
[JsonSerializable(typeof(MetricsChartView))]
[JsonSerializable(typeof(ConfigRevealBody))]
// Answers the CLI reads without a type of its own.
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(JsonElement?))]
// Redeploy (the dashboard's deployments page and `slipway redeploy`).
[JsonSerializable(typeof(RedeployBody))]
internal sealed partial class SlipwayJsonContext : JsonSerializerContext
{
    /// <summary>Hands this context to <see cref="JsonSpellings"/> (the kernel, which may not name the API layer) as
    /// the module loads, before any code can make an options instance.</summary>
    [ModuleInitializer]
    internal static void Register() => JsonSpellings.UseGenerated(Default);
}
