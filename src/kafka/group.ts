import type { Admin } from '@platformatic/kafka'

/** Who in a consumer group owns which partitions (members are named by their client id = instance id). */
export interface GroupMemberAssignment {
  instanceId: string
  memberId: string
  host: string
  partitions: string[]
}

export interface GroupAssignmentReport {
  groupId: string
  state: string
  members: GroupMemberAssignment[]
}

export async function describeGroupAssignment(admin: Admin, groupId: string): Promise<GroupAssignmentReport> {
  const groups = await admin.describeGroups({ groups: [groupId] })
  const group = groups.get(groupId)
  if (!group) return { groupId, state: 'UNKNOWN', members: [] }
  const members = [...group.members.values()].map((member) => ({
    instanceId: member.clientId,
    memberId: member.id,
    host: member.clientHost,
    partitions: [...(member.assignments?.values() ?? [])]
      .flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}:${p}`))
      .sort(comparePartitions)
  }))
  members.sort((a, b) => a.instanceId.localeCompare(b.instanceId, 'en', { numeric: true }))
  return { groupId, state: String(group.state), members }
}

function comparePartitions(a: string, b: string): number {
  const [ta = '', pa = '0'] = a.split(/:(?=\d+$)/)
  const [tb = '', pb = '0'] = b.split(/:(?=\d+$)/)
  return ta.localeCompare(tb) || Number(pa) - Number(pb)
}
