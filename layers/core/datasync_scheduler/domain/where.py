"""Where a task lives (partition, Region, account, read from its ARN) and where the stack may reach.

Every call about a task goes to the task's own Region and, for a task in another account, through
the role the member stack creates there (docs/regions.md). What stays in the stack's home Region
(the run ledger, failure reports, history, messages) never uses these.

A stack reaches its home, every Region listed in its `TaskRegions` parameter, and, in each of those
Regions, every account listed in `MemberAccounts`: anything else is refused before a run starts,
naming what to deploy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# An ARN's first five fields (docs/aws-facts.md#datasync-arns): `arn:<partition>:<service>:<region>:<account>:…`.
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
# What an ARN's Region field may hold (botocore's TaskArn pattern: `[a-z\-0-9]*`, never empty here).
_ARN_REGION = re.compile(r"[a-z0-9-]+")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")


@dataclass(frozen=True, order=True)
class Where:
    """A partition, Region and account: where a resource lives and where its calls go."""

    partition: str
    region: str
    account: str

    @classmethod
    def of_arn(cls, arn: str) -> Where:
        """From any ARN with a Region and an account (`arn:<partition>:<service>:<region>:<account>:…`)."""
        parts = arn.split(":", 5)
        if (
            len(parts) < 6
            or parts[0] != "arn"
            or not _ARN_REGION.fullmatch(parts[3])
            or not _ACCOUNT.fullmatch(parts[4])
        ):
            raise ValueError(f"not an ARN with a Region and an account: {arn[:200]!r}")
        return cls(partition=parts[1], region=parts[3], account=parts[4])

    def __str__(self) -> str:
        return f"Region {self.region}, account {self.account}"


@dataclass(frozen=True)
class Reach:
    """The stack's home and the Regions and accounts it is set up for (a member stack in each)."""

    home: Where
    regions: frozenset[str] = field(default_factory=frozenset)
    accounts: frozenset[str] = field(default_factory=frozenset)
    # The role the member stack creates in each listed account, the same name in each.
    member_role_name: str = ""

    @classmethod
    def of(cls, home: Where, regions: str = "", accounts: str = "", member_role_name: str = "") -> Reach:
        """From the stack's parameters as the functions get them: comma-separated lists, maybe empty."""
        region_set = frozenset(item.strip() for item in regions.split(",") if item.strip())
        account_set = frozenset(item.strip() for item in accounts.split(",") if item.strip())
        for region in region_set:
            if not _REGION.fullmatch(region):
                raise ValueError(f"TaskRegions: {region[:40]!r} is not a Region name (like eu-west-1)")
        for account in account_set:
            if not _ACCOUNT.fullmatch(account):
                raise ValueError(f"MemberAccounts: {account[:40]!r} is not a 12-digit account ID")
        if home.account in account_set:
            # Calls in the stack's own account use the function's own role, never a member role.
            raise ValueError(f"MemberAccounts: {home.account} is the stack's own account; list only other accounts")
        if account_set and not _ROLE_NAME.fullmatch(member_role_name):
            raise ValueError("MemberRoleName: an IAM role name (1 to 64 characters) is needed with MemberAccounts")
        return cls(home, region_set - {home.region}, account_set, member_role_name)

    @property
    def all_regions(self) -> list[str]:
        return sorted({self.home.region, *self.regions})

    @property
    def all_accounts(self) -> list[str]:
        return sorted({self.home.account, *self.accounts})

    def problem(self, where: Where) -> str | None:
        """Why the stack cannot reach `where` and what to deploy, or None when it can."""
        if where.partition != self.home.partition:
            return (
                f"the task is in partition {where.partition} and this stack in {self.home.partition}: a stack "
                "reaches only its own partition; deploy a stack there"
            )
        missing: list[str] = []
        if where.region not in self.all_regions:
            missing.append(
                f"Region {where.region} is not among the stack's Regions ({', '.join(self.all_regions)}): deploy "
                f"member/template.yaml in {where.region} and add it to the stack's TaskRegions parameter"
            )
        if where.account not in self.all_accounts:
            missing.append(
                f"account {where.account} is not among the stack's accounts ({', '.join(self.all_accounts)}): "
                f"deploy member/template.yaml in that account and add it to the stack's MemberAccounts parameter"
            )
        return "; ".join(missing) or None

    def role_arn(self, where: Where) -> str | None:
        """The role assumed for calls in `where`: None at home (the function's own role)."""
        if where.account == self.home.account:
            return None
        if where.account not in self.accounts:
            raise ValueError(f"account {where.account} is not among the stack's accounts")
        return member_role_arn(where, self.member_role_name)

    def places(self, regions: list[str] | None = None) -> list[Where]:
        """Each of `regions` (default: every Region the stack reaches) in every account it reaches:
        where tagged tasks are looked up."""
        chosen = self.all_regions if regions is None else regions
        return [Where(self.home.partition, region, account) for account in self.all_accounts for region in chosen]


def member_role_arn(where: Where, role_name: str) -> str:
    """The role the member stack creates in `where`'s account (IAM is global: no Region in its ARN)."""
    return f"arn:{where.partition}:iam::{where.account}:role/{role_name}"
