// The public endpoint of IAM and of each service per region, as Huawei Cloud's official SDKs
// list them (docs/upstream.md "Endpoints"). Data, not code: one row per service and region,
// tab-separated, copied from the SDKs' region tables:
//   iam, kms, apig, scm  huaweicloud-sdk-go-v3 services/<service>/<version>/region/region.go
//                        (commit 1cd70eb, 2026-03-13)
//   modelarts            huaweicloud-sdk-nodejs-v3 services/modelarts/v1/ModelArtsRegion.ts
// Every endpoint is https://<service>.<region>.myhuaweicloud.com except those of eu-west-101
// (.myhuaweicloud.eu, Huawei Cloud Europe) and ModelArts in ap-southeast-1 (.myhuaweicloud.cn).
// SCM, a global service, is listed only in cn-north-4, ap-southeast-1 and my-kualalumpur-1.
// A pair missing here is not guessed: it has to be configured.

export const ENDPOINT_TABLE_TSV = `service\tregion\tendpoint
kms	eu-west-101	https://kms.eu-west-101.myhuaweicloud.eu
kms	cn-north-4	https://kms.cn-north-4.myhuaweicloud.com
kms	cn-north-1	https://kms.cn-north-1.myhuaweicloud.com
kms	cn-north-2	https://kms.cn-north-2.myhuaweicloud.com
kms	cn-east-2	https://kms.cn-east-2.myhuaweicloud.com
kms	cn-east-3	https://kms.cn-east-3.myhuaweicloud.com
kms	cn-south-1	https://kms.cn-south-1.myhuaweicloud.com
kms	cn-south-2	https://kms.cn-south-2.myhuaweicloud.com
kms	af-south-1	https://kms.af-south-1.myhuaweicloud.com
kms	cn-southwest-2	https://kms.cn-southwest-2.myhuaweicloud.com
kms	ap-southeast-2	https://kms.ap-southeast-2.myhuaweicloud.com
kms	ap-southeast-1	https://kms.ap-southeast-1.myhuaweicloud.com
kms	ap-southeast-3	https://kms.ap-southeast-3.myhuaweicloud.com
kms	la-south-2	https://kms.la-south-2.myhuaweicloud.com
kms	sa-brazil-1	https://kms.sa-brazil-1.myhuaweicloud.com
kms	na-mexico-1	https://kms.na-mexico-1.myhuaweicloud.com
kms	la-north-2	https://kms.la-north-2.myhuaweicloud.com
kms	cn-north-9	https://kms.cn-north-9.myhuaweicloud.com
kms	ap-southeast-4	https://kms.ap-southeast-4.myhuaweicloud.com
kms	tr-west-1	https://kms.tr-west-1.myhuaweicloud.com
kms	ae-ad-1	https://kms.ae-ad-1.myhuaweicloud.com
kms	my-kualalumpur-1	https://kms.my-kualalumpur-1.myhuaweicloud.com
kms	ru-moscow-1	https://kms.ru-moscow-1.myhuaweicloud.com
kms	cn-east-5	https://kms.cn-east-5.myhuaweicloud.com
kms	cn-east-4	https://kms.cn-east-4.myhuaweicloud.com
kms	me-east-1	https://kms.me-east-1.myhuaweicloud.com
kms	ap-southeast-5	https://kms.ap-southeast-5.myhuaweicloud.com
kms	cn-south-4	https://kms.cn-south-4.myhuaweicloud.com
kms	cn-north-12	https://kms.cn-north-12.myhuaweicloud.com
kms	cn-north-11	https://kms.cn-north-11.myhuaweicloud.com
kms	af-north-1	https://kms.af-north-1.myhuaweicloud.com
kms	cn-southwest-3	https://kms.cn-southwest-3.myhuaweicloud.com
scm	cn-north-4	https://scm.cn-north-4.myhuaweicloud.com
scm	ap-southeast-1	https://scm.ap-southeast-1.myhuaweicloud.com
scm	my-kualalumpur-1	https://scm.my-kualalumpur-1.myhuaweicloud.com
apig	cn-north-4	https://apig.cn-north-4.myhuaweicloud.com
apig	cn-north-1	https://apig.cn-north-1.myhuaweicloud.com
apig	cn-east-2	https://apig.cn-east-2.myhuaweicloud.com
apig	cn-east-3	https://apig.cn-east-3.myhuaweicloud.com
apig	cn-south-1	https://apig.cn-south-1.myhuaweicloud.com
apig	ap-southeast-2	https://apig.ap-southeast-2.myhuaweicloud.com
apig	ap-southeast-1	https://apig.ap-southeast-1.myhuaweicloud.com
apig	ap-southeast-3	https://apig.ap-southeast-3.myhuaweicloud.com
apig	ru-northwest-2	https://apig.ru-northwest-2.myhuaweicloud.com
apig	sa-brazil-1	https://apig.sa-brazil-1.myhuaweicloud.com
apig	la-south-2	https://apig.la-south-2.myhuaweicloud.com
apig	la-north-2	https://apig.la-north-2.myhuaweicloud.com
apig	na-mexico-1	https://apig.na-mexico-1.myhuaweicloud.com
apig	af-south-1	https://apig.af-south-1.myhuaweicloud.com
apig	cn-north-9	https://apig.cn-north-9.myhuaweicloud.com
apig	cn-southwest-2	https://apig.cn-southwest-2.myhuaweicloud.com
apig	ap-southeast-4	https://apig.ap-southeast-4.myhuaweicloud.com
apig	tr-west-1	https://apig.tr-west-1.myhuaweicloud.com
apig	cn-north-2	https://apig.cn-north-2.myhuaweicloud.com
apig	eu-west-101	https://apig.eu-west-101.myhuaweicloud.eu
apig	ae-ad-1	https://apig.ae-ad-1.myhuaweicloud.com
apig	me-east-1	https://apig.me-east-1.myhuaweicloud.com
apig	my-kualalumpur-1	https://apig.my-kualalumpur-1.myhuaweicloud.com
apig	eu-west-0	https://apig.eu-west-0.myhuaweicloud.com
apig	ru-moscow-1	https://apig.ru-moscow-1.myhuaweicloud.com
apig	cn-south-4	https://apig.cn-south-4.myhuaweicloud.com
apig	cn-east-5	https://apig.cn-east-5.myhuaweicloud.com
apig	cn-north-12	https://apig.cn-north-12.myhuaweicloud.com
apig	cn-east-4	https://apig.cn-east-4.myhuaweicloud.com
apig	cn-southwest-3	https://apig.cn-southwest-3.myhuaweicloud.com
apig	cn-south-2	https://apig.cn-south-2.myhuaweicloud.com
apig	cn-north-11	https://apig.cn-north-11.myhuaweicloud.com
apig	ap-southeast-5	https://apig.ap-southeast-5.myhuaweicloud.com
apig	af-north-1	https://apig.af-north-1.myhuaweicloud.com
iam	cn-north-2	https://iam.cn-north-2.myhuaweicloud.com
iam	cn-north-4	https://iam.cn-north-4.myhuaweicloud.com
iam	cn-north-1	https://iam.cn-north-1.myhuaweicloud.com
iam	cn-east-2	https://iam.cn-east-2.myhuaweicloud.com
iam	cn-east-3	https://iam.cn-east-3.myhuaweicloud.com
iam	cn-south-1	https://iam.cn-south-1.myhuaweicloud.com
iam	cn-south-2	https://iam.cn-south-2.myhuaweicloud.com
iam	cn-southwest-2	https://iam.cn-southwest-2.myhuaweicloud.com
iam	ap-southeast-1	https://iam.ap-southeast-1.myhuaweicloud.com
iam	ap-southeast-2	https://iam.ap-southeast-2.myhuaweicloud.com
iam	ap-southeast-3	https://iam.ap-southeast-3.myhuaweicloud.com
iam	af-south-1	https://iam.af-south-1.myhuaweicloud.com
iam	sa-brazil-1	https://iam.sa-brazil-1.myhuaweicloud.com
iam	la-south-2	https://iam.la-south-2.myhuaweicloud.com
iam	na-mexico-1	https://iam.na-mexico-1.myhuaweicloud.com
iam	la-north-2	https://iam.la-north-2.myhuaweicloud.com
iam	cn-north-9	https://iam.cn-north-9.myhuaweicloud.com
iam	eu-west-101	https://iam.eu-west-101.myhuaweicloud.eu
iam	eu-west-0	https://iam.eu-west-0.myhuaweicloud.com
iam	my-kualalumpur-1	https://iam.my-kualalumpur-1.myhuaweicloud.com
iam	ru-moscow-1	https://iam.ru-moscow-1.myhuaweicloud.com
iam	me-east-1	https://iam.me-east-1.myhuaweicloud.com
iam	ap-southeast-4	https://iam.ap-southeast-4.myhuaweicloud.com
iam	ae-ad-1	https://iam.ae-ad-1.myhuaweicloud.com
iam	cn-east-4	https://iam.cn-east-4.myhuaweicloud.com
iam	cn-east-5	https://iam.cn-east-5.myhuaweicloud.com
iam	tr-west-1	https://iam.tr-west-1.myhuaweicloud.com
iam	cn-north-12	https://iam.cn-north-12.myhuaweicloud.com
modelarts	cn-north-1	https://modelarts.cn-north-1.myhuaweicloud.com
modelarts	cn-north-4	https://modelarts.cn-north-4.myhuaweicloud.com
modelarts	cn-south-1	https://modelarts.cn-south-1.myhuaweicloud.com
modelarts	ap-southeast-1	https://modelarts.ap-southeast-1.myhuaweicloud.cn
modelarts	ap-southeast-2	https://modelarts.ap-southeast-2.myhuaweicloud.com
modelarts	ap-southeast-3	https://modelarts.ap-southeast-3.myhuaweicloud.com
modelarts	cn-east-3	https://modelarts.cn-east-3.myhuaweicloud.com
modelarts	cn-east-4	https://modelarts.cn-east-4.myhuaweicloud.com
modelarts	la-south-2	https://modelarts.la-south-2.myhuaweicloud.com
modelarts	af-south-1	https://modelarts.af-south-1.myhuaweicloud.com
modelarts	cn-north-9	https://modelarts.cn-north-9.myhuaweicloud.com
modelarts	tr-west-1	https://modelarts.tr-west-1.myhuaweicloud.com
modelarts	ap-southeast-4	https://modelarts.ap-southeast-4.myhuaweicloud.com
modelarts	me-east-1	https://modelarts.me-east-1.myhuaweicloud.com
modelarts	cn-southwest-2	https://modelarts.cn-southwest-2.myhuaweicloud.com
modelarts	cn-north-2	https://modelarts.cn-north-2.myhuaweicloud.com
modelarts	sa-brazil-1	https://modelarts.sa-brazil-1.myhuaweicloud.com
modelarts	la-north-2	https://modelarts.la-north-2.myhuaweicloud.com
modelarts	af-north-1	https://modelarts.af-north-1.myhuaweicloud.com
modelarts	cn-north-12	https://modelarts.cn-north-12.myhuaweicloud.com
modelarts	cn-southwest-3	https://modelarts.cn-southwest-3.myhuaweicloud.com
modelarts	cn-north-11	https://modelarts.cn-north-11.myhuaweicloud.com
`;

export type EndpointService = 'iam' | 'scm' | 'apig' | 'kms' | 'modelarts';

/** service → region → endpoint (no trailing slash). */
export const ENDPOINT_TABLE: ReadonlyMap<string, ReadonlyMap<string, string>> = parseEndpointTable(
  ENDPOINT_TABLE_TSV,
);

export function parseEndpointTable(tsv: string): Map<string, Map<string, string>> {
  const table = new Map<string, Map<string, string>>();
  for (const line of tsv.split('\n').slice(1)) {
    const [service, region, endpoint] = line.split('\t');
    if (service === undefined || region === undefined || endpoint === undefined) continue;
    const regions = table.get(service) ?? new Map<string, string>();
    regions.set(region, endpoint);
    table.set(service, regions);
  }
  return table;
}

/** The listed endpoint of `service` in `region`, or undefined when the SDKs list none. */
export function tableEndpoint(service: EndpointService, region: string): string | undefined {
  return ENDPOINT_TABLE.get(service)?.get(region);
}

/** The regions where the SDKs list `service`. */
export function tableRegions(service: EndpointService): readonly string[] {
  return [...(ENDPOINT_TABLE.get(service)?.keys() ?? [])];
}
