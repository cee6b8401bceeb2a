import { Admin } from '@platformatic/kafka';

async function withAdmin<T>(brokers: string[], run: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ clientId: 'firstcome-bench', bootstrapBrokers: brokers });
  try {
    return await run(admin);
  } finally {
    await admin.close();
  }
}

export const createTopic = (brokers: string[], topic: string, partitions: number) =>
  withAdmin(brokers, (admin) => admin.createTopics({ topics: [topic], partitions, replicas: 1 }));

/** Deletes the topics the bench made; one that was never created is not an error. */
export const deleteTopics = (brokers: string[], topics: string[]) =>
  withAdmin(brokers, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const ours = topics.filter((topic) => existing.has(topic));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
  });
