"""mediactl.yaml: read, validate completely, and turn into frozen dataclasses.

Validation never stops at the first mistake: every problem is collected with its
file, line, column and key path (`mediactl.yaml:14:5: channels.x.platform: …`),
then reported at once. Unknown keys are warnings (a typo should not block a
publish), wrong types and values are errors. Secrets must be ``${VAR}``
references; an inline secret is an error whose message never repeats the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mediactl import CONFIG_NAME, nearest_project
from mediactl.config import credentials, transport
from mediactl.config.brand import Brand, parse_brand
from mediactl.config.options import moved_options, platform_options
from mediactl.config.platforms import all_platforms
from mediactl.config.schema import Checker, did_you_mean
from mediactl.config.yamlpos import KeyPath, LocatedYAML, load_located
from mediactl.core import fsutil, redaction
from mediactl.core.errors import ConfigError, NotFoundError, Problem
from mediactl.core.sshsig import KeyFormatError, PublicKey, parse_public_key

STATUSES = ("draft", "review", "approved", "published", "archived")
CAP_WINDOWS = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
CHANNEL_KEYS = (
    "platform", "description", "enabled", "credentials", "base_url", "templates", "caps",
    "tracking", "limits", "timezone", "migrated_to", "link_tracker",
)  # fmt: skip
LINK_TRACKER_KEYS = ("url", "token")  # the bank's click-count endpoint, and the ${VAR} of its token
TOP_KEYS = ("project", "channels", "compliance", "render", "people", "segments", "calendar", "check", "brand")
MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")  # a calendar date that recurs every year: `03-15`
PERSON_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
EMERGENCY = "emergency"  # the role whose signed approval lets `publish --force` override the gate (never the check)
PERSON_KEYS = ("name", "roles", "keys", "email")


@dataclass(frozen=True)
class Requirement:
    """`count` different people holding `role` must each sign an approval of a variant's exact content."""

    role: str
    count: int = 1

    def __str__(self) -> str:
        return f"{self.count} {self.role} approval{'s' if self.count != 1 else ''}"


@dataclass(frozen=True)
class Approval:
    publish_statuses: tuple[str, ...] = ("approved",)
    require_other_person: bool = True  # the item's author never counts as an approver of it
    require: tuple[Requirement, ...] = (Requirement("checker", 1),)
    channels: dict[str, tuple[Requirement, ...]] = field(default_factory=dict)  # a channel's own policy

    def requirements(self, channel: str) -> tuple[Requirement, ...]:
        """What a variant for `channel` needs: the channel's own policy, else the project's."""
        return self.channels.get(channel, self.require)


@dataclass(frozen=True)
class Person:
    """Someone who may sign approvals: declared in the repository, so the team reviews who can approve."""

    id: str
    name: str
    roles: tuple[str, ...] = ()
    keys: tuple[PublicKey, ...] = ()
    email: str = ""

    def holds(self, role: str) -> bool:
        return role in self.roles

    def owns(self, key: PublicKey) -> bool:
        return any(mine.same_key(key) for mine in self.keys)


@dataclass(frozen=True)
class Project:
    name: str
    timezone: str = "Asia/Shanghai"
    content_dir: str = "content"
    templates_dir: str = "templates"
    state_dir: str = ".mediactl"  # with a state URL: this machine's caches (check verdicts, render index, vault)
    approval: Approval = Approval()
    state_url: str | None = None  # a postgresql:// URL: the team's shared state store (its password a ${VAR})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Cap:
    """At most `max` deliveries per `per` window, counted per channel or per audience segment."""

    max: int
    per: str
    by: str = "channel"  # "channel" or "audience"

    @property
    def seconds(self) -> int:
        return CAP_WINDOWS[self.per]


@dataclass(frozen=True)
class Channel:
    name: str
    platform: str
    description: str = ""
    enabled: bool = True
    credentials: dict[str, str] = field(default_factory=dict)  # values hold ${VAR} references
    base_url: str | None = None
    templates: dict[str, str] = field(default_factory=dict)
    caps: tuple[Cap, ...] = ()
    tracking: dict[str, str] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)
    timezone: str | None = None
    migrated_to: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    # The bank's link tracker, asked for the clicks on the tracked link a post carries: {"url", "token": "${VAR}"}
    # (publish/adapters/linktracker.py); {} when the channel has none.
    link_tracker: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Segment:
    """A customer segment (a word of an item's `audience`) and whom it means on each platform that addresses customers.

    `targets[platform][kind]` are the platform's ids: for wecom, `tags` (企业客户标签), `customers`
    (external_userid) or `groups` (客户群 chat ids); the kinds a platform takes are in its facts file
    (`segment_targets`)."""

    name: str
    targets: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    def on(self, platform: str) -> dict[str, tuple[str, ...]]:
        return self.targets.get(platform, {})


@dataclass(frozen=True)
class Compliance:
    packs: tuple[str, ...] = ("builtin",)
    disable: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    ocr: str = "on"  # read the words inside images and video frames: on, off, or required (the gate needs it)
    # The bank's own brand and product names (稳享添利, 悦享信用卡): the learned reader leaves them out (its training
    # copy names them 某银行, 某理财产品), so a name that sounds like a promise (稳享, 稳利) is not read as one.
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckOptions:
    """`check:`: placeholder patterns (None: check.placeholders.DEFAULT_PATTERNS; a list replaces them)."""

    placeholders: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Render:
    output: str = "build"
    jobs: int = 0  # 0: one worker per CPU


@dataclass(frozen=True)
class CalendarDate:
    """A date the team plans around that no public calendar knows (3·15, the bank's anniversary, a launch):
    every year on month-day when `year` is None, else once."""

    name: str
    month: int
    day: int
    year: int | None = None


@dataclass(frozen=True)
class Config:
    root: Path
    file: Path
    project: Project
    channels: dict[str, Channel]
    compliance: Compliance
    render: Render
    warnings: tuple[Problem, ...] = ()
    people: dict[str, Person] = field(default_factory=dict)  # by id
    segments: dict[str, Segment] = field(default_factory=dict)  # by name: the words of items' `audience`
    calendar: tuple[CalendarDate, ...] = ()  # `calendar: {dates: [...]}`: the plan's own dates
    check: CheckOptions = field(default_factory=CheckOptions)  # `check: {placeholders: [...]}`
    brand: Brand = field(default_factory=Brand)  # `brand:`: name, logo, colours, fonts, themes

    @property
    def content_path(self) -> Path:
        return self.root / self.project.content_dir

    @property
    def templates_path(self) -> Path:
        return self.root / self.project.templates_dir

    @property
    def state_path(self) -> Path:
        return self.root / self.project.state_dir

    @property
    def build_path(self) -> Path:
        return self.root / self.render.output

    def environment(self) -> credentials.Environment:
        return credentials.Environment(self.root / ".env")

    def key_owner(self, key: PublicKey) -> Person | None:
        """The person a public key is declared for (a key is declared for one person at most)."""
        return next((person for person in self.people.values() if person.owns(key)), None)

    def channel(self, name: str) -> Channel:
        """A channel by name, following `migrated_to` so retired names keep working."""
        if name not in self.channels:
            hint = did_you_mean(name, self.channels)
            raise NotFoundError(f"unknown channel '{name}'{hint} (channels are defined in {CONFIG_NAME})")
        return self.channels[name]


def find_project(start: Path) -> Path:
    """The nearest folder at or above `start` that holds mediactl.yaml (as git finds .git)."""
    found = nearest_project(start)
    if found is not None:
        return found
    raise NotFoundError(
        f"no {CONFIG_NAME} in {start.resolve()} or any folder above it.",
        hint="run `mediactl init DIR` to create a content repository, or pass --project DIR.",
    )


def load_config(path: Path) -> Config:
    """Read and validate `path`; raise ConfigError listing every error, keep warnings."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise NotFoundError(f"{path}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [Problem(CONFIG_NAME, f"cannot read file: {exc}")]) from None
    doc = load_located(text, path.name)
    config = _build(doc, path) if not doc.problems else None
    errors = [p for p in doc.problems if p.is_error]
    if errors or config is None:
        raise ConfigError(path.name, doc.problems)
    if _state_is_apart(config):
        fsutil.keep_private(config.state_path)  # queue, audit log, reports and caches: the owner's alone
    return config


def _state_is_apart(config: Config) -> bool:
    """Whether the state folder holds nothing but state (`state: .` would make the whole project private)."""
    shared = (config.root, config.content_path, config.templates_path, config.build_path)
    return all(config.state_path != path and config.state_path not in path.parents for path in shared)


def _build(doc: LocatedYAML, path: Path) -> Config | None:
    check = Checker(doc)
    top = check.mapping(doc.data, (), known=TOP_KEYS, required=("project",))
    _reject_inline_secrets(check, top, ())
    project = _project(check, top.get("project"))
    channels = _channels(check, top.get("channels"))
    compliance = _compliance(check, top.get("compliance"))
    render = _render(check, top.get("render"))
    people = _people(check, top.get("people"))
    segments = _segments(check, top.get("segments"))
    calendar = _calendar(check, top.get("calendar"))
    check_options = _check_options(check, top.get("check"))
    if project is not None:
        _check_policy(check, project.approval, channels, people)
    brand = parse_brand(check, top.get("brand"), path.parent.resolve(), project.name if project else "")
    if project is None:
        return None
    warnings = tuple(p for p in doc.problems if not p.is_error)
    return Config(
        path.parent.resolve(),
        path.resolve(),
        project,
        channels,
        compliance,
        render,
        warnings,
        people,
        segments,
        calendar,
        check_options,
        brand,
    )


def _reject_inline_secrets(check: Checker, value: Any, path: KeyPath) -> None:
    """No secret may be written in the file (it ends up in git): each must be exactly one ${VAR} reference.

    That is: every value under `credentials`; any value whose key looks secret; the password and the
    secret-bearing query parameters of a URL or DSN (a key ending in `url` or `dsn`); a header named
    as secret-bearing under `headers` (`Bearer ${VAR}` allowed). Messages never repeat the value.
    """
    if isinstance(value, list):
        for index, sub in enumerate(value):
            _reject_inline_secrets(check, sub, (*path, index))
        return
    if not isinstance(value, dict):
        return
    parent = str(path[-1]) if path else ""
    for key, sub in value.items():
        key_path = (*path, key)
        var = re.sub(r"[^A-Z0-9]+", "_", "_".join(str(p) for p in key_path[1:]).upper()).strip("_")
        problem = _inline_secret(parent, str(key), sub)
        if problem:
            check.error(key_path, f"{problem}; write `{key}: ${{{var}}}` and set {var} in the environment or in .env")
        elif isinstance(sub, (dict, list)):
            _reject_inline_secrets(check, sub, key_path)


_LITERAL_SECRET = "a secret must not be written in the config file (it would end up in git)"
_NOT_ONLY_A_REFERENCE = (
    "a credential must be exactly one ${VAR} reference, with nothing before or after it (the rest would be a "
    "secret in git)"
)
_LITERAL_HEADER = (
    "this header carries a secret, which must not be written in the config file: its value must be exactly "
    "one ${VAR} (or `Bearer ${VAR}`)"
)
_URL_EXAMPLES = "e.g. …/send?key=${HOOK_KEY} or postgresql://app:${PGPASSWORD}@db/media"


def _inline_secret(parent: str, key: str, value: Any) -> str | None:
    """What is wrong with one key's value (a secret written in the file), or None."""
    scalar = isinstance(value, (str, int, float)) and not isinstance(value, bool)
    if parent == "headers" and redaction.secret_name(key):
        return None if redaction.is_header_reference(value) else _LITERAL_HEADER
    if parent == "credentials" or (scalar and redaction.looks_secret(key)):
        if credentials.is_reference(value):
            return None
        return _NOT_ONLY_A_REFERENCE if isinstance(value, str) and credentials.has_reference(value) else _LITERAL_SECRET
    if isinstance(value, str) and key.lower().endswith(("url", "dsn")):
        literal = [what for what, part in credentials.url_secrets(value) if not credentials.is_reference(part)]
        if literal:
            return f"this URL carries a secret in {', '.join(literal)}, each of which must be exactly one ${{VAR}} ({_URL_EXAMPLES})"
    return None


def _project(check: Checker, raw: Any) -> Project | None:
    path: KeyPath = ("project",)
    known = ("name", "timezone", "content", "templates", "state", "approval")
    data = check.mapping(raw, path, known=known, required=("name",))
    name = check.string(data.get("name"), (*path, "name"))
    timezone = _timezone(check, data.get("timezone", "Asia/Shanghai"), (*path, "timezone"))
    approval_data = check.mapping(
        data.get("approval"), (*path, "approval"),
        known=("publish_statuses", "require_other_person", "require", "channels"),
    )  # fmt: skip
    statuses = check.string_list(approval_data.get("publish_statuses"), (*path, "approval", "publish_statuses"))
    for index, status in enumerate(statuses):
        check.string(status, (*path, "approval", "publish_statuses", index), choices=STATUSES, what="status")
    approval = Approval(
        publish_statuses=tuple(s for s in statuses if s in STATUSES) or ("approved",),
        require_other_person=check.boolean(
            approval_data.get("require_other_person"), (*path, "approval", "require_other_person"), True
        ),
        require=_requirements(check, approval_data.get("require"), (*path, "approval", "require")) or Approval.require,
        channels=_channel_policies(check, approval_data.get("channels"), (*path, "approval", "channels")),
    )
    state_url = _state_url(check, data.get("state"), (*path, "state"))
    folders = {key: _relative_folder(check, data.get(key), (*path, key)) for key in ("content", "templates")}
    folders["state"] = (
        None if state_url or data.get("state") is None else _relative_folder(check, data["state"], (*path, "state"))
    )
    if not name:
        return None
    return Project(
        name=name,
        timezone=timezone or "Asia/Shanghai",
        content_dir=folders["content"] or "content",
        templates_dir=folders["templates"] or "templates",
        state_dir=folders["state"] or ".mediactl",
        approval=approval,
        state_url=state_url,
    )


def _requirements(check: Checker, raw: Any, path: KeyPath) -> tuple[Requirement, ...]:
    """`[{role: checker, count: 1}, …]`: who must sign; absent means the default (one checker)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        check.error(path, "expected a list such as `[{role: checker, count: 1}]`: at least one role must approve")
        return ()
    out: list[Requirement] = []
    for index, entry in enumerate(raw):
        entry_path = (*path, index)
        data = check.mapping(entry, entry_path, known=("role", "count"), required=("role",))
        role = _role(check, data.get("role"), (*entry_path, "role"))
        count = check.integer(data.get("count", 1), (*entry_path, "count"), minimum=1, maximum=20)
        if role == EMERGENCY:
            check.error((*entry_path, "role"), "the emergency role approves `publish --force` only; it cannot be "
                        "a role that ordinary publishing requires")  # fmt: skip
        elif role is not None and any(r.role == role for r in out):
            check.error((*entry_path, "role"), f"'{role}' is required twice; say `count: N` once instead")
        elif role is not None and count is not None:
            out.append(Requirement(role, count))
    return tuple(out)


def _channel_policies(check: Checker, raw: Any, path: KeyPath) -> dict[str, tuple[Requirement, ...]]:
    """`{CHANNEL: {require: […]}}`: a channel whose variants need other approvals than the project's."""
    out = {}
    for name, spec in check.mapping(raw, path).items():
        data = check.mapping(spec, (*path, name), known=("require",), required=("require",))
        requirements = _requirements(check, data.get("require"), (*path, name, "require"))
        if requirements:
            out[str(name)] = requirements
    return out


def _check_policy(check: Checker, approval: Approval, channels: dict[str, Channel], people: dict[str, Person]) -> None:
    """A policy names real channels; a role nobody declared holds is a warning (nothing could be published)."""
    path: KeyPath = ("project", "approval")
    for name in approval.channels:
        if name not in channels:
            check.error((*path, "channels", name), f"unknown channel '{name}'{did_you_mean(name, channels)}")
    held = {role for person in people.values() if person.keys for role in person.roles}
    if not people:  # a project that does not publish yet; `approve` says what is missing when it is needed
        return
    policies = [(("require",), approval.require)] + [
        (("channels", c, "require"), r) for c, r in approval.channels.items()
    ]
    for where, requirements in policies:
        for index, requirement in enumerate(requirements):
            if requirement.role not in held:
                check.warn((*path, *where, index, "role"), f"nobody declared under `people:` holds the role "
                           f"'{requirement.role}' with a key, so this policy cannot be met")  # fmt: skip


def _people(check: Checker, raw: Any) -> dict[str, Person]:
    """`people:` person id → {name, roles, keys, email}. Each key line is parsed now, so a key that would never
    verify is a configuration error with its line, not a refusal on publishing day."""
    people: dict[str, Person] = {}
    owners: dict[bytes, str] = {}  # key blob -> person id: a key identifies one person
    for person_id, spec in check.mapping(raw, ("people",)).items():
        path: KeyPath = ("people", person_id)
        if not PERSON_ID.match(str(person_id)):
            check.error(path, "a person id uses lowercase letters, digits, '.', '-' and '_' (e.g. wang.min)")
            continue
        data = check.mapping(spec, path, known=PERSON_KEYS, what="person key")
        roles = []
        for index, role in enumerate(check.string_list(data.get("roles"), (*path, "roles"))):
            if _role(check, role, (*path, "roles", index)) is not None:
                roles.append(role)
        keys = _keys(check, data.get("keys"), (*path, "keys"), str(person_id), owners)
        people[str(person_id)] = Person(
            id=str(person_id),
            name=check.string(data.get("name"), (*path, "name")) or str(person_id),
            roles=tuple(roles),
            keys=keys,
            email=check.string(data.get("email"), (*path, "email")) or "",
        )
    return people


def _role(check: Checker, value: Any, path: KeyPath) -> str | None:
    role = check.string(value, path, required=True)
    if role is not None and not ROLE_NAME.match(role):
        check.error(path, f"'{role}' is not a role name: lowercase letters, digits, '-' and '_' (e.g. checker)")
        return None
    return role


def _keys(check: Checker, raw: Any, path: KeyPath, person_id: str, owners: dict[bytes, str]) -> tuple[PublicKey, ...]:
    keys = []
    for index, line in enumerate(check.string_list(raw, path)):
        try:
            key = parse_public_key(line)
        except KeyFormatError as exc:
            check.error((*path, index), exc.message)
            continue
        if key.blob in owners:
            check.error((*path, index), f"this key ({key.fingerprint}) is already declared for {owners[key.blob]}; "
                        "a key identifies one person")  # fmt: skip
            continue
        owners[key.blob] = person_id
        keys.append(key)
    return tuple(keys)


STATE_SCHEMES = ("postgresql://", "postgres://")
_STATE_URL_EXAMPLE = "e.g. postgresql://mediactl:${PGPASSWORD}@db.example.internal:5432/media"


def _state_url(check: Checker, value: Any, path: KeyPath) -> str | None:
    """`project.state` as a PostgreSQL URL (the team's shared store), or None for a folder. Its password, if
    it has one, must be exactly one ${VAR} (libpq may also find it in ~/.pgpass or PGPASSWORD); a host and a
    database must be named. Messages never repeat the URL: it may hold a literal password."""
    if not isinstance(value, str) or not value.startswith(STATE_SCHEMES):
        return None
    try:
        parts = urlsplit(credentials.REF.sub("x", value))
        parts.port  # noqa: B018  # raises on a port that is not a number
    except ValueError:
        check.error(path, f"not a valid PostgreSQL URL ({_STATE_URL_EXAMPLE})")
        return None
    literal = [what for what, part in credentials.url_secrets(value) if not credentials.is_reference(part)]
    if literal:
        check.error(path, f"the state URL carries a secret in {', '.join(literal)}, which must be exactly one ${{VAR}} "
                          f"({_STATE_URL_EXAMPLE}; set the variable in the environment or in .env)")  # fmt: skip
        return None
    if not parts.hostname or parts.path.strip("/") == "":
        check.error(path, f"a PostgreSQL URL names its host and database ({_STATE_URL_EXAMPLE})")
        return None
    return value


def _timezone(check: Checker, value: Any, path: KeyPath) -> str | None:
    name = check.string(value, path)
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        check.error(path, f"unknown time zone '{name}' (use an IANA name such as Asia/Shanghai)")
        return None
    return name


def _relative_folder(check: Checker, value: Any, path: KeyPath) -> str | None:
    folder = check.string(value, path)
    if folder is not None and (Path(folder).is_absolute() or ".." in Path(folder).parts):
        check.error(path, "must be a folder inside the project (relative, without '..')")
        return None
    return folder


def _channels(check: Checker, raw: Any) -> dict[str, Channel]:
    data = check.mapping(raw, ("channels",))
    channels: dict[str, Channel] = {}
    for name, spec in data.items():
        path: KeyPath = ("channels", name)
        if not CHANNEL_NAME.match(str(name)):
            check.error(path, "a channel name uses lowercase letters, digits, '-' and '_' only")
            continue
        channel = _channel(check, str(name), spec, path)
        if channel is not None:
            channels[channel.name] = channel
    for channel in channels.values():
        _check_migration(check, channel, channels)
    return channels


def _channel(check: Checker, name: str, raw: Any, path: KeyPath) -> Channel | None:
    platforms = all_platforms()
    data = check.mapping(raw, path, required=("platform",))
    platform_name = check.string(data.get("platform"), (*path, "platform"), choices=platforms, what="platform")
    if platform_name is None:
        return None
    platform = platforms[platform_name]
    known = (*CHANNEL_KEYS, *platform.option_keys, *moved_options(platform_name))  # moved: errors below
    check.mapping(data, path, known=known)
    creds = _channel_credentials(check, data.get("credentials"), (*path, "credentials"), platform)
    _check_endpoint(check, data, path)
    _check_folder(check, data, path)
    return Channel(
        name=name,
        platform=platform_name,
        description=check.string(data.get("description"), (*path, "description")) or "",
        enabled=check.boolean(data.get("enabled"), (*path, "enabled"), True),
        credentials=creds,
        base_url=_url(check, data.get("base_url"), (*path, "base_url")),
        templates=_string_map(check, data.get("templates"), (*path, "templates")),
        caps=_caps(check, data.get("caps"), (*path, "caps")),
        tracking=_string_map(check, data.get("tracking"), (*path, "tracking")),
        limits=_limits(check, data.get("limits"), (*path, "limits"), platform),
        timezone=_timezone(check, data.get("timezone"), (*path, "timezone")) if "timezone" in data else None,
        migrated_to=check.string(data.get("migrated_to"), (*path, "migrated_to")),
        options=platform_options(check, platform_name, platform.option_keys, data, path),
        link_tracker=_link_tracker(check, data.get("link_tracker"), (*path, "link_tracker")),
    )


def _link_tracker(check: Checker, raw: Any, path: KeyPath) -> dict[str, str]:
    """`link_tracker: {url, token}`: the click-count endpoint (https, as any endpoint a credential goes to) and its
    token, which must be exactly one ${VAR} (a token written in the file would travel with every copy of it)."""
    if raw is None:
        return {}
    data = check.mapping(raw, path, known=LINK_TRACKER_KEYS, required=("url",))
    url = _url(check, data.get("url"), (*path, "url"))
    token = check.string(data.get("token"), (*path, "token"))
    if token is not None and not credentials.is_reference(token):
        check.error((*path, "token"), "the link tracker's token must be exactly one ${VAR} (set the variable in the "
                    "environment or .env), never the token itself")  # fmt: skip
        token = None
    return {"url": url, **({"token": token} if token else {})} if url else {}


def _check_endpoint(check: Checker, data: dict[str, Any], path: KeyPath) -> None:
    """A platform's `url` option (a webhook's endpoint) obeys the rules of `base_url`."""
    if "url" in data:
        _url(check, data["url"], (*path, "url"))


def _check_folder(check: Checker, data: dict[str, Any], path: KeyPath) -> None:
    """A platform's `path` option (the outbox's, a website's folder) is a folder inside the project, as the
    project's own folders are: a config merged from a branch must not make a delivery write elsewhere."""
    if "path" in data:
        _relative_folder(check, data["path"], (*path, "path"))


def _channel_credentials(check: Checker, raw: Any, path: KeyPath, platform: Any) -> dict[str, str]:
    known = [spec.key for spec in platform.credentials]
    data = check.mapping(raw, path, known=known, what="credential")
    out = {}
    for key, value in data.items():
        text = check.string(value, (*path, key))
        if text is not None:
            out[str(key)] = text
    return out


def _url(check: Checker, value: Any, path: KeyPath) -> str | None:
    """An endpoint that credentials are sent to: https, or plain http to this machine only."""
    url = check.string(value, path)
    if url is None or credentials.is_reference(url):  # a whole URL from the environment: checked when sending
        return url
    if not re.match(r"^https?://[^\s/]+", credentials.REF.sub("x", url)):
        check.error(path, f"expected an https:// URL, got '{redaction.redact(url)}'")
        return None
    problem = None if "${" in (urlsplit(url).hostname or "") else transport.clear_text(url)
    if problem:
        check.error(path, problem)
        return None
    return url


def _string_map(check: Checker, raw: Any, path: KeyPath) -> dict[str, str]:
    data = check.mapping(raw, path)
    out = {}
    for key, value in data.items():
        text = check.string(value, (*path, key))
        if text is not None:
            out[str(key)] = text
    return out


def _limits(check: Checker, raw: Any, path: KeyPath, platform: Any) -> dict[str, int]:
    """Per-field limits that narrow the platform's; widening one is an error (the platform would refuse)."""
    data = check.mapping(raw, path)
    fields = {spec.name: spec for spec in platform.fields}
    out = {}
    for key, value in data.items():
        number = check.integer(value, (*path, key), minimum=1)
        if key not in fields:
            check.error((*path, key), f"'{key}' is not a text field of {platform.name}{did_you_mean(key, fields)}")
        elif number is not None and number > fields[key].max:
            check.error(
                (*path, key),
                f"{number} would widen the {platform.name} limit of {fields[key].max}; limits can only narrow",
            )
        elif number is not None:
            out[str(key)] = number
    return out


def _caps(check: Checker, raw: Any, path: KeyPath) -> tuple[Cap, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        check.error(path, "expected a list of caps such as `- {max: 1, per: week}`")
        return ()
    caps = []
    for index, item in enumerate(raw):
        item_path = (*path, index)
        data = check.mapping(item, item_path, known=("max", "per", "by"), required=("max", "per"))
        count = check.integer(data.get("max"), (*item_path, "max"), minimum=1)
        per = check.string(data.get("per"), (*item_path, "per"), choices=CAP_WINDOWS, what="window")
        by = check.string(data.get("by", "channel"), (*item_path, "by"), choices=("channel", "audience"), what="scope")
        if count and per and by:
            caps.append(Cap(count, per, by))
    return tuple(caps)


def _check_migration(check: Checker, channel: Channel, channels: dict[str, Channel]) -> None:
    target = channel.migrated_to
    if target is None:
        return
    path = ("channels", channel.name, "migrated_to")
    if target == channel.name:
        check.error(path, "a channel cannot be migrated to itself")
    elif target not in channels:
        check.error(path, f"unknown channel '{target}'{did_you_mean(target, channels)}")
    elif channels[target].migrated_to:
        check.error(path, f"'{target}' is itself retired; point at the channel it moved to")


def _segments(check: Checker, raw: Any) -> dict[str, Segment]:
    """`segments:` segment name → platform → target kind → ids, e.g. `老年客群: {wecom: {tags: [et…]}}`.

    A platform must say which targets it takes (`segment_targets` in its facts file), and a target kind it does not
    know is an error, not a warning: a typo there would address nobody, or the wrong customers."""
    platforms = all_platforms()
    segments: dict[str, Segment] = {}
    for name, spec in check.mapping(raw, ("segments",)).items():
        path: KeyPath = ("segments", name)
        targets: dict[str, dict[str, tuple[str, ...]]] = {}
        for platform_name, wanted in check.mapping(spec, path).items():
            where = (*path, platform_name)
            kinds = (platforms[platform_name].facts.get("segment_targets") or {}) if platform_name in platforms else {}
            if not kinds:
                takers = sorted(p for p, facts in platforms.items() if facts.facts.get("segment_targets"))
                check.error(
                    where, f"'{platform_name}' takes no segment targets (platforms that do: {', '.join(takers)})"
                )
                continue
            targets[str(platform_name)] = _segment_targets(check, wanted, where, kinds)
        if str(name).strip():
            segments[str(name)] = Segment(str(name), targets)
        else:
            check.error(path, "a segment needs a name: the word items use in `audience`")
    return segments


def _segment_targets(check: Checker, raw: Any, path: KeyPath, kinds: dict[str, str]) -> dict[str, tuple[str, ...]]:
    out = {}
    for kind, ids in check.mapping(raw, path).items():
        if kind not in kinds:
            check.error(
                (*path, kind), f"unknown target '{kind}'{did_you_mean(kind, kinds)} (one of: {', '.join(kinds)})"
            )
            continue
        values = check.string_list(ids, (*path, kind))
        if not values:
            check.error((*path, kind), f"expected a list of ids ({kinds[kind]})")
        elif len(set(values)) != len(values):
            check.error((*path, kind), "an id is listed twice")
        else:
            out[str(kind)] = tuple(values)
    if raw is None or raw == {}:
        check.error(path, f"name at least one target ({', '.join(kinds)})")
    return out


def _calendar(check: Checker, raw: Any) -> tuple[CalendarDate, ...]:
    """`calendar: {dates: [{date: "03-15", name: 3·15消费者权益日}, {date: 2027-05-20, name: 产品发布}]}`."""
    path: KeyPath = ("calendar",)
    data = check.mapping(raw, path, known=("dates",))
    entries = data.get("dates")
    if entries is None:
        return ()
    if not isinstance(entries, list):
        check.error((*path, "dates"), 'expected a list such as `- {date: "03-15", name: 3·15消费者权益日}`')
        return ()
    dates = []
    for index, entry in enumerate(entries):
        where = (*path, "dates", index)
        item = check.mapping(entry, where, known=("date", "name"), required=("date", "name"))
        name = check.string(item.get("name"), (*where, "name"))
        when = _calendar_day(check, item.get("date"), (*where, "date")) if "date" in item else None
        if name and when is not None:
            dates.append(CalendarDate(name.strip(), *when))
    return tuple(dates)


def _calendar_day(check: Checker, value: Any, path: KeyPath) -> tuple[int, int, int | None] | None:
    """(month, day, year or None) of `MM-DD` (every year) or `YYYY-MM-DD` (once); YAML reads the latter as a date."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.month, value.day, value.year
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    recurring = MONTH_DAY.match(text)
    try:
        if recurring:
            month, day = int(recurring[1]), int(recurring[2])
            date(2024, month, day)  # a leap year: 02-29 recurs (marked in the years that have it)
            return month, day, None
        once = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        check.error(path, f"'{text}' is not a day of the calendar")
        return None
    if once is None:
        check.error(path, f'expected MM-DD (every year, e.g. "03-15") or YYYY-MM-DD (once), got {value!r}')
        return None
    return once.month, once.day, once.year


def _compliance(check: Checker, raw: Any) -> Compliance:
    path: KeyPath = ("compliance",)
    data = check.mapping(raw, path, known=("packs", "disable", "severity", "ocr", "names"))
    packs = check.string_list(data.get("packs"), (*path, "packs")) if "packs" in data else ["builtin"]
    severity = _string_map(check, data.get("severity"), (*path, "severity"))
    for rule, level in severity.items():
        check.string(level, (*path, "severity", rule), choices=("blocker", "error", "warning", "info"), what="severity")
    return Compliance(
        packs=tuple(packs),
        disable=tuple(check.string_list(data.get("disable"), (*path, "disable"))),
        severity=severity,
        ocr=_ocr_switch(check, data.get("ocr"), (*path, "ocr")),
        names=tuple(name.strip() for name in check.string_list(data.get("names"), (*path, "names")) if name.strip()),
    )


def _ocr_switch(check: Checker, value: Any, path: KeyPath) -> str:
    """compliance.ocr: true (the default) reads images, false does not, `required`: a verdict without it fails."""
    if value is None or value is True:
        return "on"
    if value is False:
        return "off"
    if value == "required":
        return "required"
    check.error(path, f"expected true, false or required, got {value!r}")
    return "on"


def _check_options(check: Checker, raw: Any) -> CheckOptions:
    path: KeyPath = ("check",)
    data = check.mapping(raw, path, known=("placeholders",))
    if "placeholders" not in data:
        return CheckOptions()
    patterns = check.string_list(data["placeholders"], (*path, "placeholders"))
    for index, pattern in enumerate(patterns):
        if not pattern.strip():
            check.error((*path, "placeholders", index), "an empty pattern would match everywhere")
    return CheckOptions(tuple(patterns))


def _render(check: Checker, raw: Any) -> Render:
    path: KeyPath = ("render",)
    data = check.mapping(raw, path, known=("output", "jobs"))
    output = _relative_folder(check, data.get("output"), (*path, "output")) or "build"
    jobs = check.integer(data.get("jobs"), (*path, "jobs"), minimum=0, maximum=256)
    return Render(output=output, jobs=jobs or 0)
