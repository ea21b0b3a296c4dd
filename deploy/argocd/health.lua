-- Argo CD health check for keycloak-controller.dev resources (every kind:
-- Keycloak, KeycloakRealm, KeycloakClient, KeycloakUser). Lua 5.1, as Argo CD runs it.
-- First match wins:
--   being deleted                                 -> Progressing
--   status.observedGeneration != generation       -> Progressing
--   Stalled=True                                  -> Degraded
--   Ready=True for this generation                -> Healthy
--   Reconciling=True                              -> Progressing
--   Ready=False, reason says it is on its way     -> Progressing
--     (Progressing, ProgressingWithRetry, DependencyNotReady)
--   Ready=False, any other reason                 -> Degraded
--   Ready=Unknown, Ready missing, no status yet   -> Progressing
local hs = {}

local waiting_reasons = {
  Progressing = true,
  ProgressingWithRetry = true,
  DependencyNotReady = true,
}

local function find(conditions, wanted)
  if conditions == nil then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.type == wanted then
      return condition
    end
  end
  return nil
end

local function describe(condition)
  local reason = condition.reason or ""
  local message = condition.message or ""
  if reason ~= "" and message ~= "" then
    return reason .. ": " .. message
  end
  if message ~= "" then
    return message
  end
  return reason
end

local metadata = obj.metadata or {}
local status = obj.status
local generation = metadata.generation

if metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Being deleted; the controller removes the Keycloak object and then the finalizer"
  return hs
end

if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to report status"
  return hs
end

if generation ~= nil and status.observedGeneration ~= nil
    and status.observedGeneration ~= generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to observe generation " .. tostring(generation)
  return hs
end

local conditions = status.conditions
local stalled = find(conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

local ready = find(conditions, "Ready")
if ready ~= nil and ready.status == "True" then
  if generation == nil or ready.observedGeneration == nil
      or ready.observedGeneration == generation then
    hs.status = "Healthy"
    hs.message = describe(ready)
    return hs
  end
end

local reconciling = find(conditions, "Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(reconciling)
  return hs
end

if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end

if ready.status == "True" then
  hs.status = "Progressing"
  hs.message = "Ready is for generation " .. tostring(ready.observedGeneration)
    .. "; waiting for generation " .. tostring(generation)
  return hs
end

if ready.status == "False" and not waiting_reasons[ready.reason or ""] then
  hs.status = "Degraded"
  hs.message = describe(ready)
  return hs
end

hs.status = "Progressing"
hs.message = describe(ready)
return hs
