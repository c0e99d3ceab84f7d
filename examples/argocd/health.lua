-- Argo CD health check for Tollgate's kinds (Gateway, Registry, Consumer, Policy; group tollgate.dev).
-- One script for the four kinds: argocd-cm.yaml embeds it once per kind (generate-argocd-cm.sh).
--
-- Argo CD sets the global `obj` to the live object and reads the returned {status, message}.
--   Healthy      Accepted, ResolvedRefs and Programmed are True for the current generation.
--   Degraded     Accepted or ResolvedRefs is False for the current generation; the message is
--                that condition's message.
--   Progressing  anything else: no status yet, status for an older generation, conditions missing
--                or Unknown, Programmed not True yet (the proxies have not acknowledged it).
-- Written for Lua 5.1 (Argo CD's gopher-lua) and valid in later versions.

local hs = {}

local generation = obj.metadata and obj.metadata.generation or nil
local status = obj.status

local function condition(conditionType)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

-- A condition describes the current spec unless it says it was set for an older generation.
local function current(c)
  return c ~= nil and (c.observedGeneration == nil or generation == nil or c.observedGeneration >= generation)
end

local function describe(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then
    return c.type .. " is " .. tostring(c.status) .. ": " .. c.reason
  end
  return fallback
end

if status == nil or status.conditions == nil or #status.conditions == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the Tollgate controller to report status"
  return hs
end

if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the Tollgate controller to process generation " .. tostring(generation)
  return hs
end

for _, conditionType in ipairs({ "Accepted", "ResolvedRefs" }) do
  local c = condition(conditionType)
  if current(c) and c.status == "False" then
    hs.status = "Degraded"
    hs.message = describe(c, conditionType .. " is False")
    return hs
  end
end

for _, conditionType in ipairs({ "Accepted", "ResolvedRefs", "Programmed" }) do
  local c = condition(conditionType)
  if c == nil then
    hs.status = "Progressing"
    hs.message = "Waiting for the Tollgate controller to set " .. conditionType
    return hs
  end
  if not current(c) then
    hs.status = "Progressing"
    hs.message = "Waiting for " .. conditionType .. " of generation " .. tostring(generation)
    return hs
  end
  if c.status ~= "True" then
    hs.status = "Progressing"
    hs.message = describe(c, conditionType .. " is " .. tostring(c.status))
    return hs
  end
end

hs.status = "Healthy"
hs.message = describe(condition("Programmed"), "Accepted, refs resolved and programmed")
return hs
