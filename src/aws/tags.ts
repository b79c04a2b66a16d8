/**
 * Tags every wpdeploy resource carries, set in the create call itself:
 * `wpdeploy:stack=<stack>`, `wpdeploy:step=<step id>`, `Name=<stack>-<role>`, plus the user's tags.
 */
export const TAG_STACK = 'wpdeploy:stack';
export const TAG_STEP = 'wpdeploy:step';
export const TAG_NAME = 'Name';

export type TagMap = Record<string, string>;
export interface Tag {
  Key: string;
  Value: string;
}

export function stackTags(opts: { stack: string; step: string; role: string; userTags?: TagMap }): TagMap {
  return {
    ...(opts.userTags ?? {}),
    [TAG_NAME]: `${opts.stack}-${opts.role}`,
    [TAG_STACK]: opts.stack,
    [TAG_STEP]: opts.step,
  };
}

/** `[{Key, Value}]`, sorted by key (EC2, ELB, RDS, IAM, Secrets Manager, ACM, ...). */
export function toTagList(tags: TagMap): Tag[] {
  return Object.keys(tags)
    .sort()
    .map((Key) => ({ Key, Value: tags[Key]! }));
}

export function fromTagList(list: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): TagMap {
  const out: TagMap = {};
  for (const t of list ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

/** Tags in `desired` that are missing or different in `actual`. Tags set by others are left alone. */
export function tagsToSet(desired: TagMap, actual: TagMap): TagMap {
  const out: TagMap = {};
  for (const [k, v] of Object.entries(desired)) if (actual[k] !== v) out[k] = v;
  return out;
}

/** EC2 `Filters` that find a stack's resource for a step by tag. */
export function ec2TagFilters(stack: string, step: string): Array<{ Name: string; Values: string[] }> {
  return [
    { Name: `tag:${TAG_STACK}`, Values: [stack] },
    { Name: `tag:${TAG_STEP}`, Values: [step] },
  ];
}

/** The tag changes a diff reports: one `tags.<key>` field per tag to set. */
export function tagChanges(desired: TagMap, actual: TagMap): Array<{ field: string; from: string | undefined; to: string }> {
  return Object.entries(tagsToSet(desired, actual)).map(([k, v]) => ({ field: `tags.${k}`, from: actual[k], to: v }));
}

/** Whether tags name this stack and step (the resource is the step's own). */
export const ownedBy = (ctx: { stack: string; step: string }, tags: TagMap): boolean => tags[TAG_STACK] === ctx.stack && tags[TAG_STEP] === ctx.step;

/**
 * Sends the tags of `desired` that `actual` lacks or holds with another value, through `add` (the
 * service's tag call), when there are any; returns the tags the resource carries after.
 */
export async function addMissingTags(desired: TagMap, actual: TagMap, add: (tags: Tag[]) => Promise<unknown>): Promise<TagMap> {
  const toSet = tagsToSet(desired, actual);
  if (Object.keys(toSet).length) await add(toTagList(toSet));
  return { ...actual, ...toSet };
}
