// Guarantee: none of G1–G6 directly; proves that a consumer deploys whatever its group id and topic
// (group ids of 200 characters, topics of 249): EC2 refuses a security group
// description over 255 characters or outside its character set, Lambda a function description
// over 256, and either fails the deploy long after synth passed.
import { describe, expect, it } from 'vitest';
import { synth } from './consumer-fixture.ts';

const GROUP = `orders:v1@${'g'.repeat(190)}`; // 200 characters, the longest group id accepted
const TOPIC = `t${'o'.repeat(248)}`;
const EC2_DESCRIPTION = /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

describe('descriptions built from a long or unusual group id and topic', () => {
  it('security group descriptions stay within what EC2 accepts', () => {
    // Act
    const { template } = synth({ consumerGroupId: GROUP, topic: TOPIC, backend: 'elasticache' });

    // Assess
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup'));
    const descriptions = groups.map(
      (g) => (g as { Properties: { GroupDescription: string } }).Properties.GroupDescription,
    );
    expect(descriptions.some((d) => d.startsWith('mskguard consumer orders'))).toBe(true);
    for (const description of descriptions) expect(description).toMatch(EC2_DESCRIPTION);
  });

  it("the function's description stays within Lambda's 256 characters", () => {
    // Act
    const { template } = synth({ consumerGroupId: GROUP, topic: TOPIC, backend: 'upstash' });

    // Assess
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const descriptions = functions.flatMap((f) => {
      const description = (f as { Properties: { Description?: string } }).Properties.Description;
      return description ? [description] : [];
    });
    expect(descriptions.some((d) => d.startsWith('mskguard guarded consumer of t'))).toBe(true);
    for (const description of descriptions) expect(description.length).toBeLessThanOrEqual(256);
  });
});
