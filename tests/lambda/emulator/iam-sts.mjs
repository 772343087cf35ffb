// The IAM and STS calls barrage makes, for the Lambda control plane fixture
// (control-plane.mjs): query protocol (form POST), XML responses and errors
// as IAM and STS send them. State is in memory; every call is allowed.
import { createHash, randomUUID } from "node:crypto";

export const kAccount = "123456789012";

// An AWS error: HTTP status, code (X-Amzn-ErrorType / <Code>) and message.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const roles = new Map(); // name -> { role, inline: Map, attached: Set }

function xmlEscape(s) {
  return String(s).replace(/[<>&'"]/g, (c) =>
    ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]);
}

function sendXml(res, status, action, inner, ns) {
  const id = randomUUID();
  const result = inner === null ? "" : `<${action}Result>${inner}</${action}Result>`;
  res.writeHead(status, { "Content-Type": "text/xml", "x-amzn-RequestId": id });
  res.end(`<${action}Response xmlns="${ns}">${result}` +
    `<ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></${action}Response>`);
}

export function sendXmlError(res, status, code, message) {
  const id = randomUUID();
  res.writeHead(status, { "Content-Type": "text/xml", "x-amzn-RequestId": id });
  res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code>` +
    `<Message>${xmlEscape(message)}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`);
}

function roleXml(role) {
  return "<Role>" +
    `<Path>${xmlEscape(role.Path)}</Path><RoleName>${xmlEscape(role.RoleName)}</RoleName>` +
    `<RoleId>${role.RoleId}</RoleId><Arn>${xmlEscape(role.Arn)}</Arn>` +
    `<CreateDate>${role.CreateDate}</CreateDate>` +
    // IAM sends the trust policy URL-encoded.
    `<AssumeRolePolicyDocument>${xmlEscape(encodeURIComponent(role.AssumeRolePolicyDocument))}</AssumeRolePolicyDocument>` +
    `<Description>${xmlEscape(role.Description)}</Description>` +
    "<MaxSessionDuration>3600</MaxSessionDuration></Role>";
}

const kIamNs = "https://iam.amazonaws.com/doc/2010-05-08/";
const kStsNs = "https://sts.amazonaws.com/doc/2011-06-15/";

function requireRole(name) {
  const r = roles.get(name);
  if (!r) throw new ApiError(404, "NoSuchEntity", `The role with name ${name} cannot be found.`);
  return r;
}

// Serves one query-protocol request (its parsed form body).
export function queryRoute(req, res, params) {
  const action = params.get("Action");
  const p = (k) => params.get(k) ?? "";
  switch (action) {
    case "GetCallerIdentity":
      return sendXml(res, 200, action,
        `<Arn>arn:aws:iam::${kAccount}:user/barrage-test</Arn>` +
        `<UserId>AIDAEMULATEDUSER0001</UserId><Account>${kAccount}</Account>`, kStsNs);
    case "AssumeRole": {
      const seconds = Number(p("DurationSeconds") || 3600);
      const expiration = new Date(Date.now() + seconds * 1000).toISOString();
      return sendXml(res, 200, action,
        "<Credentials><AccessKeyId>ASIAEMULATEDASSUMED1</AccessKeyId>" +
        "<SecretAccessKey>emulated-assumed-secret</SecretAccessKey>" +
        "<SessionToken>emulated-assumed-session-token</SessionToken>" +
        `<Expiration>${expiration}</Expiration></Credentials>` +
        `<AssumedRoleUser><Arn>${xmlEscape(p("RoleArn"))}/${xmlEscape(p("RoleSessionName"))}</Arn>` +
        "<AssumedRoleId>AROAEMULATED:session</AssumedRoleId></AssumedRoleUser>", kStsNs);
    }
    case "GetRole":
      return sendXml(res, 200, action, roleXml(requireRole(p("RoleName")).role), kIamNs);
    case "CreateRole": {
      const name = p("RoleName");
      if (roles.has(name)) {
        throw new ApiError(409, "EntityAlreadyExists", `Role with name ${name} already exists.`);
      }
      const path = params.get("Path") ?? "/";
      const role = {
        Path: path,
        RoleName: name,
        RoleId: `AROA${createHash("sha1").update(name).digest("hex").slice(0, 16).toUpperCase()}`,
        Arn: `arn:aws:iam::${kAccount}:role${path}${name}`,
        CreateDate: new Date().toISOString(),
        AssumeRolePolicyDocument: p("AssumeRolePolicyDocument"),
        Description: p("Description"),
      };
      roles.set(name, { role, inline: new Map(), attached: new Set() });
      return sendXml(res, 200, action, roleXml(role), kIamNs);
    }
    case "PutRolePolicy":
      requireRole(p("RoleName")).inline.set(p("PolicyName"), p("PolicyDocument"));
      return sendXml(res, 200, action, null, kIamNs);
    case "GetRolePolicy": {
      const doc = requireRole(p("RoleName")).inline.get(p("PolicyName"));
      if (doc === undefined) {
        throw new ApiError(404, "NoSuchEntity",
          `The role policy with name ${p("PolicyName")} cannot be found.`);
      }
      return sendXml(res, 200, action,
        `<RoleName>${xmlEscape(p("RoleName"))}</RoleName><PolicyName>${xmlEscape(p("PolicyName"))}</PolicyName>` +
        `<PolicyDocument>${xmlEscape(encodeURIComponent(doc))}</PolicyDocument>`, kIamNs);
    }
    case "DeleteRolePolicy":
      if (!requireRole(p("RoleName")).inline.delete(p("PolicyName"))) {
        throw new ApiError(404, "NoSuchEntity",
          `The role policy with name ${p("PolicyName")} cannot be found.`);
      }
      return sendXml(res, 200, action, null, kIamNs);
    case "ListRolePolicies":
      return sendXml(res, 200, action,
        `<PolicyNames>${[...requireRole(p("RoleName")).inline.keys()]
          .map((n) => `<member>${xmlEscape(n)}</member>`).join("")}</PolicyNames><IsTruncated>false</IsTruncated>`,
        kIamNs);
    case "AttachRolePolicy":
      requireRole(p("RoleName")).attached.add(p("PolicyArn"));
      return sendXml(res, 200, action, null, kIamNs);
    case "DetachRolePolicy":
      if (!requireRole(p("RoleName")).attached.delete(p("PolicyArn"))) {
        throw new ApiError(404, "NoSuchEntity", `Policy ${p("PolicyArn")} was not found.`);
      }
      return sendXml(res, 200, action, null, kIamNs);
    case "ListAttachedRolePolicies":
      return sendXml(res, 200, action,
        `<AttachedPolicies>${[...requireRole(p("RoleName")).attached]
          .map((a) => `<member><PolicyArn>${xmlEscape(a)}</PolicyArn><PolicyName>${xmlEscape(a.split("/").pop())}</PolicyName></member>`)
          .join("")}</AttachedPolicies><IsTruncated>false</IsTruncated>`, kIamNs);
    case "DeleteRole": {
      const r = requireRole(p("RoleName"));
      if (r.inline.size > 0 || r.attached.size > 0) {
        throw new ApiError(409, "DeleteConflict", "Cannot delete entity, must delete policies first.");
      }
      roles.delete(p("RoleName"));
      return sendXml(res, 200, action, null, kIamNs);
    }
    default:
      throw new ApiError(400, "InvalidAction", `Could not find operation ${action}`);
  }
}

// True when the role exists (CreateFunction checks its role as Lambda does).
export function hasRole(name) {
  return roles.has(name);
}
